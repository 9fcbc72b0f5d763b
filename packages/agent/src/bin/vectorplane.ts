#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=131072 MALLOC_ARENA_MAX=2 node
/** The `vectorplane` binary: see `vectorplane --help`. The first line carries src/tuning.ts's DAEMON_ENV. */
import { main } from '../cli.js';

const io = {
  out: (s: string) => void process.stdout.write(s),
  err: (s: string) => void process.stderr.write(s),
  env: process.env,
};
// `run` loads the agent (every package it composes) only when asked: `--help`, `status`, `config` stay light.
process.exitCode = await main(process.argv.slice(2), io, async (configFile) =>
  (await import('../run.js')).runAgentProcess({ configFile, io }),
);
