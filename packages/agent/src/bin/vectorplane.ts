#!/usr/bin/env node
/** The `vectorplane` binary: see `vectorplane --help`. */
import { main } from '../cli.js';
import { runAgentProcess } from '../run.js';

const io = {
  out: (s: string) => void process.stdout.write(s),
  err: (s: string) => void process.stderr.write(s),
  env: process.env,
};
process.exitCode = await main(process.argv.slice(2), io, (configFile) => runAgentProcess({ configFile, io }));
