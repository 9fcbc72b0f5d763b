/** The generator: vendored inputs, deterministic output, `--check`, and the `vpp-binapi` bin. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { closure, formatApiJson, generate, parseModule, stripComments, type ApiJson } from '../src/generator/index.js';

const run = promisify(execFile);
const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const API = join(PKG, 'api');
const GENERATED = join(PKG, 'src', 'generated');
const TSX = join(PKG, '../../node_modules/.bin/tsx');

function readApi(): { name: string; json: ApiJson }[] {
  return readdirSync(API)
    .filter((f) => f.endsWith('.api.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.api\.json$/, ''), json: JSON.parse(readFileSync(join(API, f), 'utf8')) as ApiJson }));
}

/** A small plugin-like schema (the synthetic schema in codec-synthetic.test.ts covers every construct). */
const SYNTH: ApiJson = {
  module: 'synth',
  types: [['pair', ['u16', 'a'], ['u16', 'b'], { comment: 'prose' }]],
  enums: [['color', ['RED', 0], ['BLUE', 1], { enumtype: 'u8' }]],
  messages: [
    ['synth_set', ['u16', '_vl_msg_id'], ['u32', 'client_index'], ['u32', 'context'], ['vl_api_pair_t', 'p'], ['vl_api_color_t', 'c'], { crc: '0x12345678', options: {}, comment: 'prose' }],
    ['synth_set_reply', ['u16', '_vl_msg_id'], ['u32', 'context'], ['i32', 'retval'], { crc: '0x9abcdef0', options: {} }],
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
    const v = JSON.parse(readFileSync(join(API, 'VERSION.json'), 'utf8')) as { vpp: string; commit: string; files: string[] };
    expect(v.vpp).toBe('26.06');
    expect(v.commit).toBe('c3200b88dc46bd380f00a49ca3392a102cc1980b');
    expect(v.files).toEqual(files.map((f) => `${f.name}.api.json`));
  });

  it('pins the version only in api/VERSION.json: the generate script reads it from there', () => {
    const script = readFileSync(join(PKG, 'scripts', 'generate.ts'), 'utf8');
    const v = JSON.parse(readFileSync(join(API, 'VERSION.json'), 'utf8')) as { vpp: string; tag: string; commit: string };
    for (const pinned of [v.commit, v.commit.slice(0, 12), `'${v.vpp}'`, `'${v.tag}'`]) expect(script).not.toContain(pinned);
    expect(script).toContain("'VERSION.json'");
    // every generated header names the pinned version
    const header = readFileSync(join(GENERATED, 'ip.ts'), 'utf8').split('\n')[0]!;
    expect(header).toContain(`VPP ${v.vpp}, ${v.commit.slice(0, 12)}`);
  });

  it('carries no comments', () => {
    for (const f of files) expect(JSON.stringify(f.json), f.name).not.toContain('"comment"');
  });

  it('is closed under imports and covers what the dataplane uses', () => {
    const names = files.map((f) => f.name);
    const byName = new Map(files.map((f) => [f.name, f.json]));
    expect(closure(names, (m) => byName.get(m)!)).toEqual(names);
    for (const m of ['memclnt', 'vpe', 'interface', 'ip', 'ip_neighbor', 'punt', 'tapv2', 'af_packet', 'ipip', 'vxlan', 'cnat', 'npol', 'l2', 'gso', 'feature']) {
      expect(names).toContain(m);
    }
  });
});

describe('generate()', () => {
  it('is deterministic and matches the committed src/generated/', () => {
    const files = readApi();
    const v = JSON.parse(readFileSync(join(API, 'VERSION.json'), 'utf8')) as { vpp: string; commit: string };
    const a = generate(files, { source: `VPP ${v.vpp}, ${v.commit.slice(0, 12)}` });
    const b = generate([...files].reverse(), { source: `VPP ${v.vpp}, ${v.commit.slice(0, 12)}` });
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [f, text] of a) {
      expect(b.get(f), f).toBe(text);
      expect(readFileSync(join(GENERATED, f), 'utf8'), `src/generated/${f} is stale`).toBe(text);
    }
    expect(readdirSync(GENERATED).sort()).toEqual([...a.keys()].sort());
  });

  it('emits a type once, in the module that defines it', () => {
    const ip = readFileSync(join(GENERATED, 'ip.ts'), 'utf8');
    expect(ip).not.toMatch(/export interface fib_path\b/);
    expect(ip).toMatch(/import \{[^}]*\btype fib_path\b[^}]*\} from '\.\/fib_types\.js';/);
    expect(readFileSync(join(GENERATED, 'fib_types.ts'), 'utf8')).toMatch(/export interface fib_path \{/);
    expect(readFileSync(join(GENERATED, 'ip_types.ts'), 'utf8')).toContain('export type prefix = string;');
  });

  it('reports an unknown type', () => {
    const bad: ApiJson = { module: 'bad', messages: [['m', ['u16', '_vl_msg_id'], ['vl_api_nope_t', 'x'], { crc: '0x1', options: {} }]] };
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
    expect(readFileSync(join(output, 'synth.ts'), 'utf8')).toContain("from \"@vectorplane/vpp-binapi/codec\"");
    await run(TSX, [bin, 'generate', '--input', input, '--output', output, '--check']);
    writeFileSync(join(output, 'synth.ts'), '// edited\n');
    const err = await run(TSX, [bin, 'generate', '--input', input, '--output', output, '--check']).catch((e: unknown) => e as { code: number; stderr: string });
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain('synth.ts');
    expect(existsSync(join(output, 'index.ts'))).toBe(true);
  });

  it('prints usage and exits 2 without arguments', async () => {
    const err = await run(TSX, [join(PKG, 'src/bin/vpp-binapi.ts')]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain('usage: vpp-binapi generate');
  });
});
