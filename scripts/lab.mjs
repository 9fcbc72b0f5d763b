// `npm run lab`: the project's set-up (node_modules, Debian packages, the netlink addon), then the two-node lab
// from packages/agent/src/lab (run from its sources: no build step needed). See packages/agent/README.md.
import { setup } from './setup.mjs';

setup();
const { runSource } = await import('./dev-bin.mjs');
await runSource(new URL('../packages/agent/src/lab/main.ts', import.meta.url));
