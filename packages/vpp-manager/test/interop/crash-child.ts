/**
 * A manager that crashes at a checkpoint: `crash-child.ts <config.json> <checkpoint>` starts a manager with
 * the configuration and kills itself with SIGKILL (no clean-up of any kind) when the take-over reaches the
 * checkpoint. Exits 3 when the checkpoint is never reached.
 */
import { readFileSync } from 'node:fs';
import { createVppManager, type ManagerCheckpoint, type ManagerConfigInput } from '../../src/index.js';

const [configFile, at] = process.argv.slice(2) as [string, ManagerCheckpoint];
const config = JSON.parse(readFileSync(configFile, 'utf8')) as ManagerConfigInput;
const manager = createVppManager(
  { config },
  {
    checkpoint: (name) => {
      if (name === at) process.kill(process.pid, 'SIGKILL');
    },
  },
);
await manager.start();
await manager.stop();
process.exit(3);
