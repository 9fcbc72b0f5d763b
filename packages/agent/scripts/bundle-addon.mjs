// After the bundle is built: puts the netlink native addon where the bundled @vectorplane/netlink looks for it
// (`../build/Release/` relative to dist/bin/vectorplane.js).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(pkg, 'package.json'));
const netlink = dirname(require.resolve('@vectorplane/netlink/package.json'));
const addon = join(netlink, 'build', 'Release', 'vectorplane_netlink.node');
const dest = join(pkg, 'dist', 'build', 'Release');
if (existsSync(addon)) {
  mkdirSync(dest, { recursive: true });
  copyFileSync(addon, join(dest, 'vectorplane_netlink.node'));
} else
  process.stderr.write(`bundle: netlink addon not built (${addon}); run npm run install -w @vectorplane/netlink\n`);
