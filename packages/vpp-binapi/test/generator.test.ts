/** The generator: vendored inputs, deterministic output, `--check`, and the `vpp-binapi` bin. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  closure,
  formatApiJson,
  generate,
  generateReleases,
  parseModule,
  stripComments,
  type ApiJson,
  type ReleaseSchemas,
} from '../src/generator/index.js';

const run = promisify(execFile);
const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const API = join(PKG, 'api');
const GENERATED = join(PKG, 'src', 'generated');
const TSX = join(PKG, '../../node_modules/.bin/tsx');

interface Pin {
  vpp: string;
  tag: string;
  commit: string;
  files: string[];
  releases: { vpp: string; tag: string; commit: string; files: string[] }[];
}
const pin = (): Pin => JSON.parse(readFileSync(join(API, 'VERSION.json'), 'utf8')) as Pin;

function readApi(dir = API): { name: string; json: ApiJson }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.api.json'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.api\.json$/, ''),
      json: JSON.parse(readFileSync(join(dir, f), 'utf8')) as ApiJson,
    }));
}

/** Every release the package speaks, oldest first, as scripts/generate.ts reads them. */
function readReleases(reverse = false): ReleaseSchemas[] {
  const v = pin();
  const order = <T>(l: T[]): T[] => (reverse ? [...l].reverse() : l);
  return [
    ...v.releases.map((r) => ({ release: r.vpp, files: order(readApi(join(API, r.tag))) })),
    { release: v.vpp, files: order(readApi()) },
  ];
}

let cached: Map<string, string> | undefined;
/** The bindings of every release as scripts/generate.ts makes them (generated once for the tests that compare). */
function generated(): Map<string, string> {
  const v = pin();
  cached ??= generateReleases(readReleases(), { source: `VPP ${v.vpp}, ${v.commit.slice(0, 12)}` });
  return cached;
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

/** A small plugin-like schema (the synthetic schema in codec-synthetic.test.ts covers every construct). */
const SYNTH: ApiJson = {
  module: 'synth',
  types: [['pair', ['u16', 'a'], ['u16', 'b'], { comment: 'prose' }]],
  enums: [['color', ['RED', 0], ['BLUE', 1], { enumtype: 'u8' }]],
  messages: [
    [
      'synth_set',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      ['vl_api_pair_t', 'p'],
      ['vl_api_color_t', 'c'],
      { crc: '0x12345678', options: {}, comment: 'prose' },
    ],
    [
      'synth_set_reply',
      ['u16', '_vl_msg_id'],
      ['u32', 'context'],
      ['i32', 'retval'],
      { crc: '0x9abcdef0', options: {} },
    ],
  ],
  services: { synth_set: { reply: 'synth_set_reply' } },
  imports: [],
};

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

describe('vendored schemas', () => {
  const files = readApi();

  it('pins the VPP version and lists exactly the vendored files', () => {
    const v = pin();
    expect(v.vpp).toBe('26.06');
    expect(v.commit).toBe('c3200b88dc46bd380f00a49ca3392a102cc1980b');
    expect(v.files).toEqual(files.map((f) => `${f.name}.api.json`));
  });

  it('pins the version only in api/VERSION.json: the generate script reads it from there', () => {
    const script = readFileSync(join(PKG, 'scripts', 'generate.ts'), 'utf8');
    const v = JSON.parse(readFileSync(join(API, 'VERSION.json'), 'utf8')) as {
      vpp: string;
      tag: string;
      commit: string;
    };
    for (const pinned of [v.commit, v.commit.slice(0, 12), `'${v.vpp}'`, `'${v.tag}'`])
      expect(script).not.toContain(pinned);
    expect(script).toContain("'VERSION.json'");
    // every generated header names the pinned version
    const header = readFileSync(join(GENERATED, 'ip.ts'), 'utf8').split('\n')[0]!;
    expect(header).toContain(`VPP ${v.vpp}, ${v.commit.slice(0, 12)}`);
  });

  it('carries no comments', () => {
    for (const f of files) expect(JSON.stringify(f.json), f.name).not.toContain('"comment"');
    for (const r of pin().releases)
      for (const f of readApi(join(API, r.tag)))
        expect(JSON.stringify(f.json), `${r.tag}/${f.name}`).not.toContain('"comment"');
  });

  it('pins the other releases, each with exactly its vendored files (a module the release lacks is left out)', () => {
    const v = pin();
    expect(v.releases.map((r) => [r.vpp, r.tag, r.commit])).toEqual([
      ['25.10', 'v25.10', 'cbba0451bb0af02a3ab8e163f6f99062782258e6'],
      ['26.02', 'v26.02', '9258530f3804a152578ce11cc7c8a1e9eab88ed0'],
    ]);
    for (const r of v.releases) expect(r.files).toEqual(readApi(join(API, r.tag)).map((f) => `${f.name}.api.json`));
    // 25.10 has no npol plugin
    expect(v.releases[0]!.files).not.toContain('npol.api.json');
    expect(v.releases[1]!.files).toContain('npol.api.json');
  });

  it('is closed under imports and covers what the dataplane uses', () => {
    const names = files.map((f) => f.name);
    const byName = new Map(files.map((f) => [f.name, f.json]));
    expect(closure(names, (m) => byName.get(m)!)).toEqual(names);
    for (const m of [
      'memclnt',
      'vpe',
      'interface',
      'ip',
      'ip_neighbor',
      'punt',
      'tapv2',
      'af_packet',
      'ipip',
      'vxlan',
      'cnat',
      'npol',
      'l2',
      'gso',
      'feature',
    ]) {
      expect(names).toContain(m);
    }
  });
});

describe('generate()', () => {
  it('is deterministic and matches the committed src/generated/', () => {
    const v = pin();
    const source = `VPP ${v.vpp}, ${v.commit.slice(0, 12)}`;
    const a = generated();
    const b = generateReleases(readReleases(true), { source });
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [f, text] of a) {
      expect(b.get(f), f).toBe(text);
      expect(readFileSync(join(GENERATED, f), 'utf8'), `src/generated/${f} is stale`).toBe(text);
    }
    expect(listFiles(GENERATED).sort()).toEqual([...a.keys()].sort());
  });

  it("generates the primary release's modules exactly as generate() does for it alone", () => {
    const v = pin();
    const source = `VPP ${v.vpp}, ${v.commit.slice(0, 12)}`;
    const single = generate(readApi(), { source });
    const all = generated();
    for (const [f, text] of single) if (f !== 'index.ts') expect(all.get(f), f).toBe(text);
  });

  it('emits a type once, in the module that defines it', () => {
    const ip = readFileSync(join(GENERATED, 'ip.ts'), 'utf8');
    expect(ip).not.toMatch(/export interface fib_path\b/);
    expect(ip).toMatch(/import \{[^}]*\btype fib_path\b[^}]*\} from '\.\/fib_types\.js';/);
    expect(readFileSync(join(GENERATED, 'fib_types.ts'), 'utf8')).toMatch(/export interface fib_path \{/);
    expect(readFileSync(join(GENERATED, 'ip_types.ts'), 'utf8')).toContain('export type prefix = string;');
  });

  it('generates a message once per distinct CRC, and a type again only where it differs', () => {
    const mod = (crcs: { set: string; keep: string }, color: [string, number][], extra: boolean): ApiJson => ({
      module: 'synth',
      types: [['pair', ['u16', 'a'], ['u16', 'b']]],
      enums: [['color', ...color, { enumtype: 'u8' }]],
      messages: [
        [
          'synth_set',
          ['u16', '_vl_msg_id'],
          ['u32', 'client_index'],
          ['u32', 'context'],
          ['vl_api_pair_t', 'p'],
          ['vl_api_color_t', 'c'],
          { crc: crcs.set },
        ],
        ['synth_set_reply', ['u16', '_vl_msg_id'], ['u32', 'context'], ['i32', 'retval'], { crc: '0x9abcdef0' }],
        [
          'synth_keep',
          ['u16', '_vl_msg_id'],
          ['u32', 'client_index'],
          ['u32', 'context'],
          ['vl_api_pair_t', 'p'],
          { crc: crcs.keep },
        ],
        ['synth_keep_reply', ['u16', '_vl_msg_id'], ['u32', 'context'], ['i32', 'retval'], { crc: '0x9abcdef0' }],
        ...(extra
          ? [
              ['synth_old', ['u16', '_vl_msg_id'], ['u32', 'client_index'], ['u32', 'context'], { crc: '0x0000000a' }],
              ['synth_old_reply', ['u16', '_vl_msg_id'], ['u32', 'context'], ['i32', 'retval'], { crc: '0x0000000b' }],
            ]
          : []),
      ],
      services: {
        synth_set: { reply: 'synth_set_reply' },
        synth_keep: { reply: 'synth_keep_reply' },
        ...(extra ? { synth_old: { reply: 'synth_old_reply' } } : {}),
      },
      imports: [],
    });
    const old = mod({ set: '0x00000001', keep: '0x00000002' }, [['RED', 0]], true);
    const mid = mod({ set: '0x00000001', keep: '0x00000002' }, [['RED', 0]], true);
    const cur = mod(
      { set: '0x00000003', keep: '0x00000002' },
      [
        ['RED', 0],
        ['BLUE', 1],
      ],
      false,
    );
    const out = generateReleases([
      { release: '1.0', files: [{ name: 'synth', json: old }] },
      { release: '2.0', files: [{ name: 'synth', json: mid }] },
      { release: '3.0', files: [{ name: 'synth', json: cur }] },
    ]);
    // 1.0 and 2.0 share synth_set's CRC: one definition, in the newest release that has it
    expect([...out.keys()].sort()).toEqual(['_shared.ts', 'index.ts', 'synth.ts', 'v2_0/synth.ts']);
    // the two replies (header and retval only) share one set of codec functions, in _shared.ts
    const primary = out.get('synth.ts')!;
    expect(primary.match(/\.\.\.impl0,/g)).toHaveLength(2);
    expect(primary).toContain("import { impl0 } from './_shared.js';");
    expect(out.get('_shared.ts')).toMatch(/^export const impl0 = \[$/m);
    expect(out.get('_shared.ts')).not.toMatch(/impl1/);
    const v2 = out.get('v2_0/synth.ts')!;
    expect(v2).toMatch(/export const synth_set: MessageDef<synth_set>/);
    expect(v2).toMatch(/export const synth_old: MessageDef<synth_old>/);
    expect(v2).not.toMatch(/synth_keep/);
    // the enum differs (BLUE is new) and is generated again; the pair struct is the primary's
    expect(v2).toContain('export const color = {\n  RED: 0,\n} as const;');
    expect(v2).not.toMatch(/export interface pair\b/);
    expect(v2).toMatch(/import \{[^}]*type pair[^}]*\} from '\.\.\/synth\.js';/);
    const index = out.get('index.ts')!;
    expect(index).toContain('export const releases = ["1.0", "2.0", "3.0"] as const;');
    expect(index).toContain(
      'export const messageVariants: readonly MessageDef<any>[] = [\n  v2_0_synth.synth_set,\n  v2_0_synth.synth_old,\n  v2_0_synth.synth_old_reply,\n];',
    );
    expect(index).toContain(
      '"1.0": {\n    absent: [],\n    variants: [v2_0_synth.synth_set, v2_0_synth.synth_old, v2_0_synth.synth_old_reply],\n    services: [{ request: "synth_old", reply: "synth_old_reply" }],',
    );
    expect(index).toContain('synth_set: VppCalls_1_0["synth_set"] | VppCalls["synth_set"];');
    expect(index).toContain('synth_old: VppCalls_1_0["synth_old"];');
  });

  it('reports an unknown type', () => {
    const bad: ApiJson = {
      module: 'bad',
      messages: [['m', ['u16', '_vl_msg_id'], ['vl_api_nope_t', 'x'], { crc: '0x1', options: {} }]],
    };
    expect(() => generate([{ name: 'bad', json: bad }])).toThrow(expect.objectContaining({ name: 'SchemaError' }));
  });

  it('strips comments at any depth and formats stably', () => {
    const json = stripComments(SYNTH);
    expect(JSON.stringify(json)).not.toContain('comment');
    const text = formatApiJson(json);
    expect(JSON.parse(text)).toEqual(json);
    expect(parseModule(JSON.parse(text) as ApiJson, 'synth').messages[0]!.crc).toBe('0x12345678');
  });
});

describe('scripts/generate.ts and the vpp-binapi bin', () => {
  it('--check passes on the committed bindings', async () => {
    const { stdout } = await run(TSX, [join(PKG, 'scripts/generate.ts'), '--check'], { cwd: PKG });
    expect(stdout).toContain('up to date');
  });

  it('generates bindings for other schemas and --check names a stale file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vpp-binapi-bin-'));
    tmp.push(root);
    const input = join(root, 'in');
    const output = join(root, 'out');
    mkdirSync(input);
    writeFileSync(join(input, 'synth.api.json'), JSON.stringify(SYNTH));
    const bin = join(PKG, 'src/bin/vpp-binapi.ts');
    await run(TSX, [bin, 'generate', '--input', input, '--output', output]);
    expect(readdirSync(output).sort()).toEqual(['index.ts', 'synth.ts']);
    expect(readFileSync(join(output, 'synth.ts'), 'utf8')).toContain('from "@vectorplane/vpp-binapi/codec"');
    await run(TSX, [bin, 'generate', '--input', input, '--output', output, '--check']);
    writeFileSync(join(output, 'synth.ts'), '// edited\n');
    const err = await run(TSX, [bin, 'generate', '--input', input, '--output', output, '--check']).catch(
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain('synth.ts');
    expect(existsSync(join(output, 'index.ts'))).toBe(true);
  });

  it('prints usage and exits 2 without arguments', async () => {
    const err = await run(TSX, [join(PKG, 'src/bin/vpp-binapi.ts')]).catch(
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain('usage: vpp-binapi generate');
  });
});
