#!/usr/bin/env node
/**
 * `vpp-api`: the command line of @vectorplane/vpp-binapi. See `vpp-api --help` and src/client/cli.ts.
 */
import { runCli } from './client/cli.js';

// `vpp-api messages | head`: a closed pipe ends the output quietly
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('vpp-api: unexpected failure:', err);
    process.exitCode = 3;
  },
);
