// Set-up shared by `npm test` and `npm run bench`: installs what a fresh clone lacks.
// - node_modules (npm install) when missing;
// - Debian packages the tests need, when running as root and a command is missing;
// - the netlink native addon, when its build output is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Commands the test suites call, and the Debian package that provides each. */
export const REQUIRED_COMMANDS = [
  { command: 'ip', pkg: 'iproute2', why: 'netlink benchmarks compare against `ip -batch`; tests inspect namespaces' },
  { command: 'gobgpd', pkg: 'gobgpd', why: 'bgp drives a real gobgpd over its gRPC API' },
  { command: 'bird', pkg: 'bird2', why: 'bgp interop tests peer with BIRD as an independent speaker' },
  {
    path: '/usr/lib/cni/host-local',
    pkg: 'containernetworking-plugins',
    why: 'the CNI plugin delegates IPAM to host-local',
  },
  { command: 'kubectl', pkg: 'kubernetes-client', why: 'kube tests run kubectl against the test API server' },
  { command: 'ping', pkg: 'iputils-ping', why: 'traffic tests ping between namespaces' },
  {
    path: '/usr/share/gocode/src/github.com/osrg/gobgp/api/gobgp.proto',
    pkg: 'golang-github-osrg-gobgp-dev',
    why: "bgp's proto subset is checked field by field against GoBGP 3.10's own .proto files",
  },
];

/** Environment for nx runs: no daemon, no cloud, no TUI (plain logs in CI and pipes). */
export const NX_ENV = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

export function log(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  }
}

function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export function ensureNodeModules() {
  if (existsSync(join(root, 'node_modules', '.bin', 'nx'))) return;
  // `npm install`, not `npm ci`: the registry reachable here does not serve other platforms' optional
  // packages (e.g. @nx/nx-darwin-arm64), so the lockfile cannot list them and `npm ci` refuses it as out
  // of sync. `npm install` keeps every version the lockfile pins. It also builds the netlink addon.
  log('node_modules missing: npm install (versions from package-lock.json)');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

export function ensureDebianPackages(required = REQUIRED_COMMANDS) {
  const missing = required.filter((r) => (r.path ? !existsSync(r.path) : !hasCommand(r.command)));
  if (missing.length === 0) return;
  if (!isRoot() || !hasCommand('apt-get')) {
    for (const m of missing) log(`missing '${m.command ?? m.path}' (Debian package ${m.pkg}): ${m.why}`);
    return;
  }
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  log(`installing Debian packages: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env });
}

export function ensureNativeAddon() {
  const pkg = join(root, 'packages', 'netlink');
  if (!existsSync(join(pkg, 'binding.gyp'))) return;
  const release = join(pkg, 'build', 'Release');
  const built = existsSync(release) && readdirSync(release).some((f) => f.endsWith('.node'));
  if (built) return;
  log('netlink native addon not built: node-gyp rebuild');
  run('npm', ['run', 'install', '-w', '@vectorplane/netlink']);
}

export function setup() {
  ensureNodeModules();
  ensureDebianPackages();
  ensureNativeAddon();
}
