/**
 * `npm run generate -w @vectorplane/vpp-binapi [-- --vendor <dir>] [--check]`
 *
 * --vendor <dir>  copy the schemas the project uses (VENDORED_MODULES and their imports) from <dir>
 *                 (e.g. ../shared/vpp-api/v26.06) into api/, comments stripped, and rewrite the file
 *                 list in api/VERSION.json. api/VERSION.json is the one place the VPP version is
 *                 pinned (`vpp`, `tag`, `commit`): to move to another VPP, edit it, then re-vendor.
 * --check         regenerate in memory and exit 1, naming the files, when src/generated/ differs
 * Without options it rewrites src/generated/ from api/.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, vendor, type ApiJson } from '../src/generator/index.js';

/** The one list of VPP modules the project uses; their imports are added automatically. */
export const VENDORED_MODULES = [
  // API plumbing and the golden session
  'memclnt',
  'vlib',
  'vpe',
  // interfaces
  'interface',
  'interface_types',
  'ethernet_types',
  'tapv2',
  'af_packet',
  'virtio',
  'dev',
  'af_xdp',
  'rdma',
  'vmxnet3',
  'memif',
  'lcp',
  'gso',
  'feature',
  'l2',
  // routing and neighbours
  'ip',
  'ip_types',
  'fib_types',
  'mpls',
  'ip_neighbor',
  'ip6_nd',
  'arp',
  'punt',
  'urpf',
  'classify',
  'ip_session_redirect',
  'session',
  'http_static',
  // tunnels
  'ipip',
  'tunnel_types',
  'vxlan',
  'wireguard',
  // services and policies
  'cnat',
  'npol',
  'acl',
  'acl_types',
] as const;

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const apiDir = join(pkg, 'api');
const outDir = join(pkg, 'src', 'generated');

/** The pin in api/VERSION.json: the single source of the VPP version the schemas come from. */
interface VersionPin {
  vpp: string;
  tag: string;
  commit: string;
  files: string[];
}

function readPin(): VersionPin {
  const pin = JSON.parse(readFileSync(join(apiDir, 'VERSION.json'), 'utf8')) as Partial<VersionPin>;
  if (typeof pin.vpp !== 'string' || typeof pin.tag !== 'string' || typeof pin.commit !== 'string') {
    throw new Error(`${join(apiDir, 'VERSION.json')} must pin "vpp", "tag" and "commit"`);
  }
  return { vpp: pin.vpp, tag: pin.tag, commit: pin.commit, files: Array.isArray(pin.files) ? pin.files : [] };
}

function readSchemas(dir: string): { name: string; json: ApiJson }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.api.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.api\.json$/, ''), json: JSON.parse(readFileSync(join(dir, f), 'utf8')) as ApiJson }));
}

function main(argv: string[]): number {
  const vi = argv.indexOf('--vendor');
  const check = argv.includes('--check');
  if (vi >= 0) {
    const src = argv[vi + 1];
    if (!src) {
      console.error('--vendor needs a directory');
      return 2;
    }
    const pin = readPin();
    const { files, modules } = vendor(VENDORED_MODULES, (m) => JSON.parse(readFileSync(join(src, `${m}.api.json`), 'utf8')) as ApiJson);
    rmSync(apiDir, { recursive: true, force: true });
    mkdirSync(apiDir, { recursive: true });
    for (const [f, text] of files) writeFileSync(join(apiDir, f), text);
    writeFileSync(
      join(apiDir, 'VERSION.json'),
      JSON.stringify({ vpp: pin.vpp, tag: pin.tag, commit: pin.commit, files: [...files.keys()] }, null, 2) + '\n',
    );
    console.log(`vendored ${modules.length} schemas (VPP ${pin.vpp}, ${pin.tag}) into ${apiDir}`);
  }
  const version = readPin();
  const out = generate(readSchemas(apiDir), { source: `VPP ${version.vpp}, ${version.commit.slice(0, 12)}` });
  if (check) {
    const differ: string[] = [];
    for (const [f, text] of out) {
      const p = join(outDir, f);
      if (!existsSync(p) || readFileSync(p, 'utf8') !== text) differ.push(`src/generated/${f}`);
    }
    if (existsSync(outDir)) {
      for (const f of readdirSync(outDir)) if (!out.has(f)) differ.push(`src/generated/${f} (not generated)`);
    }
    if (differ.length) {
      console.error(`generated bindings are stale; run \`npm run generate -w @vectorplane/vpp-binapi\`:\n  ${differ.join('\n  ')}`);
      return 1;
    }
    console.log(`src/generated/ is up to date (${out.size} files)`);
    return 0;
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const [f, text] of out) writeFileSync(join(outDir, f), text);
  console.log(`wrote ${out.size} files to ${outDir}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
