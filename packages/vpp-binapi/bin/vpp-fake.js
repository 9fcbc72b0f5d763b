#!/usr/bin/env node
// `vpp-fake`: the built dist/bin/vpp-fake.js; in this workspace before a build, src/bin/vpp-fake.ts from source (scripts/dev-bin.mjs).
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin/vpp-fake.js', import.meta.url);
if (existsSync(built)) await import(built.href);
else await (await import('../../../scripts/dev-bin.mjs')).runSource(new URL('../src/bin/vpp-fake.ts', import.meta.url));
