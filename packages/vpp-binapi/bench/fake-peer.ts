/**
 * The fake VPP in a child process for bench/fake-msgs.ts and bench/fake-diff.ts: sends its socket path over
 * IPC, exits on `'stop'` or when the bench's process goes away.
 */
import { startFakeVpp } from '../src/testing/server.js';

const fake = await startFakeVpp();
process.on('message', (m) => {
  if (m === 'stop') void fake.stop().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(1));
process.send!({ socket: fake.socketPath });
