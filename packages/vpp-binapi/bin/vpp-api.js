#!/usr/bin/env node
// `vpp-api`: the built dist/cli.js; in this workspace before a build, src/cli.ts from source (scripts/dev-bin.mjs).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli.js', import.meta.url);
if (existsSync(built)) await import(built.href);
else await (await import('../../../scripts/dev-bin.mjs')).runSource(new URL('../src/cli.ts', import.meta.url));
