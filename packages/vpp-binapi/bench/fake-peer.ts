/**
 * The fake VPP in a child process for bench/fake-msgs.ts: sends its socket path over IPC, answers `'cpu'`
 * with its CPU time (user + system µs), exits on `'stop'` or when the bench's process goes away.
 */
import { startFakeVpp } from '../src/testing/server.js';

const fake = await startFakeVpp();
process.on('message', (m) => {
  if (m === 'cpu') {
    const u = process.cpuUsage();
    process.send!({ cpu: u.user + u.system });
  } else if (m === 'stop') void fake.stop().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(1));
process.send!({ socket: fake.socketPath });
