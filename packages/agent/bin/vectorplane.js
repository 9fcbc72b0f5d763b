#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=131072 MALLOC_ARENA_MAX=2 node
// `vectorplane`: the built dist/bin/vectorplane.js; in this workspace before a build, src/bin/vectorplane.ts from source (scripts/dev-bin.mjs).
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin/vectorplane.js', import.meta.url);
if (existsSync(built)) await import(built.href);
else
  await (await import('../../../scripts/dev-bin.mjs')).runSource(new URL('../src/bin/vectorplane.ts', import.meta.url));
