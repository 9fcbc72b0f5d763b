#!/usr/bin/env node
// `vpp-manager`: the built dist/bin/vpp-manager.js; in this workspace before a build, or when node runs with the
// `@vectorplane/source` condition (tests: the sources, never a stale build), src/bin/vpp-manager.ts from source
// (scripts/dev-bin.mjs).
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin/vpp-manager.js', import.meta.url);
const fromSource = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('@vectorplane/source'));
if (existsSync(built) && !fromSource) await import(built.href);
else
  await (await import('../../../scripts/dev-bin.mjs')).runSource(new URL('../src/bin/vpp-manager.ts', import.meta.url));
