#!/usr/bin/env node
// `kube-test-apiserver`: the built dist/bin/kube-test-apiserver.js; in this workspace before a build, src/bin/kube-test-apiserver.ts from source (scripts/dev-bin.mjs).
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin/kube-test-apiserver.js', import.meta.url);
if (existsSync(built)) await import(built.href);
else
  await (
    await import('../../../scripts/dev-bin.mjs')
  ).runSource(new URL('../src/bin/kube-test-apiserver.ts', import.meta.url));
