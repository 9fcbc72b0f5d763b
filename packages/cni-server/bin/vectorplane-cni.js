#!/usr/bin/env node
// `vectorplane-cni`: the built dist/bin/vectorplane-cni.js (one bundled file); in this workspace before a build, src/bin/vectorplane-cni.ts from source (scripts/dev-bin.mjs).
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin/vectorplane-cni.js', import.meta.url);
if (existsSync(built)) await import(built.href);
else
  await (
    await import('../../../scripts/dev-bin.mjs')
  ).runSource(new URL('../src/bin/vectorplane-cni.ts', import.meta.url));
