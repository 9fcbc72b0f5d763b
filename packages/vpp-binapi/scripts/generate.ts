/**
 * `npm run generate -w @vectorplane/vpp-binapi [-- --vendor <dir>] [--check]`
 *
 * --vendor <dir>  copy the schemas the project uses (VENDORED_MODULES and their imports) of every release
 *                 pinned in api/VERSION.json from <dir>/<tag> (e.g. ../shared/vpp-api/v26.06) into api/
 *                 (the primary release) and api/<tag>/ (the others), comments stripped, and rewrite the
 *                 file lists in api/VERSION.json. api/VERSION.json is the one place the VPP releases are
 *                 pinned (`vpp`, `tag`, `commit` of the primary, the newest; `releases` for the others):
 *                 to move to another VPP, edit it, then re-vendor. A module a release lacks is skipped.
 * --check         regenerate in memory and exit 1, naming the files, when src/generated/ differs
 * Without options it rewrites src/generated/ from api/.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closure, generateReleases, vendor, type ApiJson, type ReleaseSchemas } from '../src/generator/index.js';

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

/** One pinned release: VPP version, git tag and commit its schemas were generated from. */
interface ReleasePin {
  vpp: string;
  tag: string;
  commit: string;
  files: string[];
}

/** The pin in api/VERSION.json: the primary release (newest) and the others it also speaks. */
interface VersionPin extends ReleasePin {
  releases: ReleasePin[];
}

function readRelease(raw: Partial<ReleasePin>, where: string): ReleasePin {
  if (typeof raw.vpp !== 'string' || typeof raw.tag !== 'string' || typeof raw.commit !== 'string') {
    throw new Error(`${where} must pin "vpp", "tag" and "commit"`);
  }
  return { vpp: raw.vpp, tag: raw.tag, commit: raw.commit, files: Array.isArray(raw.files) ? raw.files : [] };
}

function readPin(): VersionPin {
  const path = join(apiDir, 'VERSION.json');
  const pin = JSON.parse(readFileSync(path, 'utf8')) as Partial<ReleasePin> & { releases?: Partial<ReleasePin>[] };
  const releases = (pin.releases ?? []).map((r, i) => readRelease(r, `${path} releases[${i}]`));
  return { ...readRelease(pin, path), releases };
}

function readSchemas(dir: string): { name: string; json: ApiJson }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.api.json'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.api\.json$/, ''),
      json: JSON.parse(readFileSync(join(dir, f), 'utf8')) as ApiJson,
    }));
}

const readJson = (path: string): ApiJson => JSON.parse(readFileSync(path, 'utf8')) as ApiJson;

/**
 * The modules to vendor from each release directory: VENDORED_MODULES that the release has, plus, in
 * every release, the module that defines any message another release has in its vendored set. A
 * message that moved between modules (ip_punt_police: ip in 25.10 and 26.02, policer in 26.06) is then
 * vendored in every release that has it, and is not mistaken for one the newer release dropped.
 */
function modulesToVendor(srcs: readonly string[]): string[][] {
  const base: string[][] = srcs.map((src) => VENDORED_MODULES.filter((m) => existsSync(join(src, `${m}.api.json`))));
  const messagesOf = (src: string, mods: readonly string[]): Map<string, string> => {
    const out = new Map<string, string>();
    for (const m of closure(mods, (x) => readJson(join(src, `${x}.api.json`)))) {
      for (const msg of readJson(join(src, `${m}.api.json`)).messages ?? [])
        if (Array.isArray(msg) && typeof msg[0] === 'string') out.set(msg[0], m);
    }
    return out;
  };
  const names = new Set(srcs.flatMap((src, i) => [...messagesOf(src, base[i]!).keys()]));
  return srcs.map((src, i) => {
    const all = messagesOf(
      src,
      readdirSync(src)
        .filter((f) => f.endsWith('.api.json'))
        .map((f) => f.replace(/\.api\.json$/, '')),
    );
    const extra = new Set<string>();
    for (const n of names) {
      const m = all.get(n);
      if (m !== undefined && !base[i]!.includes(m)) extra.add(m);
    }
    return [...base[i]!, ...[...extra].sort()];
  });
}

/** Vendors `modules` (and their imports) of one release from `src` into `dest`; returns its file list. */
function vendorRelease(src: string, dest: string, modules: readonly string[]): string[] {
  const { files } = vendor(modules, (m) => readJson(join(src, `${m}.api.json`)));
  mkdirSync(dest, { recursive: true });
  for (const f of readdirSync(dest, { withFileTypes: true }))
    if (f.isFile() && f.name.endsWith('.api.json')) rmSync(join(dest, f.name));
  for (const [f, text] of files) writeFileSync(join(dest, f), text);
  return [...files.keys()];
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
    const mods = modulesToVendor([join(src, pin.tag), ...pin.releases.map((r) => join(src, r.tag))]);
    mkdirSync(apiDir, { recursive: true });
    const files = vendorRelease(join(src, pin.tag), apiDir, mods[0]!);
    const releases = pin.releases.map((r, i) => ({
      ...r,
      files: vendorRelease(join(src, r.tag), join(apiDir, r.tag), mods[i + 1]!),
    }));
    writeFileSync(
      join(apiDir, 'VERSION.json'),
      JSON.stringify({ vpp: pin.vpp, tag: pin.tag, commit: pin.commit, files, releases }, null, 2) + '\n',
    );
    console.log(
      `vendored ${files.length} schemas of VPP ${pin.vpp}${releases.map((r) => `, ${r.files.length} of ${r.vpp}`).join('')} into ${apiDir}`,
    );
  }
  const version = readPin();
  const all: ReleaseSchemas[] = [
    ...version.releases.map((r) => ({ release: r.vpp, files: readSchemas(join(apiDir, r.tag)) })),
    { release: version.vpp, files: readSchemas(apiDir) },
  ].sort((a, b) => (a.release < b.release ? -1 : a.release > b.release ? 1 : 0));
  if (all[all.length - 1]!.release !== version.vpp)
    throw new Error(`api/VERSION.json: the primary release ${version.vpp} must be the newest`);
  const out = generateReleases(all, { source: `VPP ${version.vpp}, ${version.commit.slice(0, 12)}` });
  if (check) {
    const differ: string[] = [];
    for (const [f, text] of out) {
      const p = join(outDir, f);
      if (!existsSync(p) || readFileSync(p, 'utf8') !== text) differ.push(`src/generated/${f}`);
    }
    if (existsSync(outDir)) {
      for (const f of listFiles(outDir)) if (!out.has(f)) differ.push(`src/generated/${f} (not generated)`);
    }
    if (differ.length) {
      console.error(
        `generated bindings are stale; run \`npm run generate -w @vectorplane/vpp-binapi\`:\n  ${differ.join('\n  ')}`,
      );
      return 1;
    }
    console.log(`src/generated/ is up to date (${out.size} files)`);
    return 0;
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const [f, text] of out) {
    mkdirSync(dirname(join(outDir, f)), { recursive: true });
    writeFileSync(join(outDir, f), text);
  }
  console.log(`wrote ${out.size} files to ${outDir}`);
  return 0;
}

/** Files under `dir`, as paths relative to it (`v26_02/cnat.ts`). */
function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

process.exitCode = main(process.argv.slice(2));
