#!/usr/bin/env node
// `vpp-binapi`: the built dist/bin/vpp-binapi.js; in this workspace before a build, src/bin/vpp-binapi.ts from source (scripts/dev-bin.mjs).
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin/vpp-binapi.js', import.meta.url);
if (existsSync(built)) await import(built.href);
else
  await (await import('../../../scripts/dev-bin.mjs')).runSource(new URL('../src/bin/vpp-binapi.ts', import.meta.url));
