/**
 * A fake VPP, started as VPP (`fake-vpp-refusing.ts -c startup.conf`), whose af_packet plugin can open no
 * host interface (`af_packet_create_v3` fails as it does for a netdev VPP cannot see): with af_xdp refused
 * too, auto mode runs out of drivers. Exits on SIGINT/SIGTERM like VPP.
 */
import { readFileSync } from 'node:fs';
import { parseStartupConf, startFakeVpp, startupConfApiSocket } from '@vectorplane/vpp-binapi/testing';

const conf = parseStartupConf(readFileSync(process.argv[process.argv.indexOf('-c') + 1]!, 'utf8'));
const socket = startupConfApiSocket(conf);
if (!socket) throw new Error('startup.conf has no socksvr section');
const fake = await startFakeVpp({ socket, hostInterfaces: [] });
await new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve());
  process.once('SIGINT', () => resolve());
});
await fake.stop();
process.exit(0);
