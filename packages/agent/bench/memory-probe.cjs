// Preloaded into the agent by bench/idle-memory.ts (`node --require`): on SIGUSR2, writes RSS (VmRSS, RssAnon,
// RssFile), process.memoryUsage(), V8's heap spaces (size and used) and code statistics, in KiB, to $MEM_OUT
// (and a heap snapshot to $MEM_SNAPSHOT when set).
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload (node --require) */
'use strict';
const v8 = require('node:v8');
const fs = require('node:fs');
process.on('SIGUSR2', () => {
  if (process.env.MEM_SNAPSHOT) v8.writeHeapSnapshot(process.env.MEM_SNAPSHOT);
  const kib = (n) => Math.round(n / 1024);
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const pick = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1]);
  const spaces = v8.getHeapSpaceStatistics();
  fs.writeFileSync(
    process.env.MEM_OUT,
    JSON.stringify({
      rssKiB: pick('VmRSS'),
      rssAnonKiB: pick('RssAnon'),
      rssFileKiB: pick('RssFile'),
      memoryUsageKiB: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, kib(v)])),
      heapSpacesKiB: Object.fromEntries(spaces.map((s) => [s.space_name, [kib(s.space_size), kib(s.space_used_size)]])),
      codeKiB: Object.fromEntries(Object.entries(v8.getHeapCodeStatistics()).map(([k, v]) => [k, kib(v)])),
    }),
  );
});
