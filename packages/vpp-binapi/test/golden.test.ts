/**
 * Golden bytes: every frame of every recorded session (session-main.jsonl, session-dataplane.jsonl)
 * from a real VPP 26.06 decodes to the JSON VPP's own Python library produced, and re-encodes to the
 * identical payload.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { messagesByName, messagesByNameCrc } from '../src/generated/index.js';
import { fromHex, toHex } from '../src/codec/index.js';
import { readPrefix, writePrefix } from '../src/codec/support.js';
import { parseModule, type ApiJson, type FieldSpec } from '../src/generator/index.js';
import { UNION_CASE_OVERRIDES } from '../src/generator/emit.js';
import { readdirSync } from 'node:fs';

const GOLDEN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/vpp-golden');
/** Each recorded session and the fewest frames it must hold (a truncated file fails loudly). */
const SESSIONS = [
  { file: 'session-main.jsonl', minFrames: 90 },
  { file: 'session-dataplane.jsonl', minFrames: 141 },
] as const;

interface Frame {
  kind: 'frame';
  seq: number;
  dir: 'c2s' | 's2c';
  header_hex: string;
  msg_id: number;
  msg: string;
  hex: string;
  json: Record<string, unknown>;
  decoded_size: number;
}

function loadFrames(file: string): Frame[] {
  const path = join(GOLDEN_DIR, file);
  if (!existsSync(path)) {
    throw new Error(
      `golden captures missing: ${path} not found. Clone the shared fixtures next to the repository (../shared/vpp-golden); they are required.`,
    );
  }
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { kind: string })
    .filter((r): r is Frame => r.kind === 'frame');
}

// Field types of every vendored struct/union/message, to format values the way the captures' decoder did.
const API_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../api');
const layouts = new Map<string, FieldSpec[]>();
const enumValues = new Map<string, Map<string, number>>();
for (const f of readdirSync(API_DIR).filter((x) => x.endsWith('.api.json'))) {
  const mod = parseModule(JSON.parse(readFileSync(join(API_DIR, f), 'utf8')) as ApiJson, f.replace(/\.api\.json$/, ''));
  for (const t of mod.types) if (t.kind === 'struct' || t.kind === 'union') layouts.set(`vl_api_${t.name}_t`, t.fields);
  for (const t of mod.types)
    if (t.kind === 'enum' || t.kind === 'enumflags') enumValues.set(`vl_api_${t.name}_t`, new Map(t.values));
  for (const m of mod.messages) layouts.set(m.name, m.fields);
}

/**
 * The recorder's JSON for a discriminated union shows every member as read from the same bytes
 * (../shared/vpp-golden/README.md); our decoder gives the member the discriminator selects. This
 * keeps, in the expected JSON, only that member: the one whose `case` is the tag's enum name, or
 * the generator's UNION_CASE_OVERRIDES member, or every member when the schema names none.
 */
function selectCases(json: unknown, type: string | undefined): unknown {
  const fields = type ? layouts.get(type) : undefined;
  if (Array.isArray(json)) return json.map((x) => selectCases(x, type));
  if (!fields || !json || typeof json !== 'object') return json;
  const o = json as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const f = fields.find((x) => x.name === k);
    if (f?.discriminator !== undefined && v && typeof v === 'object') {
      const tagType = fields.find((x) => x.name === f.discriminator)!.type;
      const tag = o[f.discriminator] as number;
      const tagName = [...(enumValues.get(tagType) ?? [])].find(([, n]) => n === tag)?.[0];
      const members = layouts.get(f.type)!;
      const unionName = f.type.replace(/^vl_api_(.+)_t$/, '$1');
      const chosen =
        members.find((m) => m.case !== undefined && m.case === tagName)?.name ??
        (tagName !== undefined ? UNION_CASE_OVERRIDES[unionName]?.[tagName] : undefined);
      const u = v as Record<string, unknown>;
      out[k] =
        chosen === undefined
          ? selectCases(u, f.type)
          : { [chosen]: selectCases(u[chosen], members.find((m) => m.name === chosen)!.type) };
      continue;
    }
    out[k] = selectCases(v, f?.type);
  }
  return out;
}

/** VPP's Python decoder prints `vl_api_prefix_t` (and ip4/ip6_prefix) as a network: host bits cleared. */
const NETWORK_TYPES = new Set(['vl_api_prefix_t', 'vl_api_ip4_prefix_t', 'vl_api_ip6_prefix_t']);
function asNetwork(text: string): string {
  const buf = new Uint8Array(18);
  const v4 = !text.includes(':');
  writePrefix(buf, 0, text, 'prefix');
  const len = buf[17]!;
  for (let bit = len; bit < (v4 ? 32 : 128); bit++) buf[1 + (bit >> 3)]! &= ~(0x80 >> (bit & 7));
  return readPrefix(buf, 0);
}

/**
 * The decoded message in the captures' JSON conventions: `_vl_msg_id` as `_0`, byte arrays as hex,
 * bigints as numbers when safe, prefixes as networks (our codec keeps the host bits VPP sent, which
 * is what makes the re-encode exact). Deterministic formatting only: nothing is dropped or loosened.
 */
function toCaptureJson(v: unknown, type?: string): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'string' && type && NETWORK_TYPES.has(type)) return asNetwork(v);
  if (Array.isArray(v)) return v.map((x) => toCaptureJson(x, type));
  if (v && typeof v === 'object') {
    const fields = type ? layouts.get(type) : undefined;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k === '_vl_msg_id' ? '_0' : k] = toCaptureJson(x, fields?.find((f) => f.name === k)?.type);
    }
    return out;
  }
  return v;
}

describe.each(SESSIONS)('golden $file', ({ file, minFrames }) => {
  const frames = loadFrames(file);

  it('has the recorded frames', () => {
    expect(frames.length).toBeGreaterThanOrEqual(minFrames);
  });

  it("agrees with the running VPP's message table on every CRC we bind", () => {
    const reply = frames.find((f) => f.msg.startsWith('sockclnt_create_reply_'))!;
    const table = (reply.json.message_table as { index: number; name: string }[]).map((e) => e.name);
    expect(table).toHaveLength(reply.json.count as number);
    const byName = new Map(table.map((n) => [n.replace(/_[0-9a-f]{8}$/, ''), n]));
    const mismatched: string[] = [];
    let bound = 0;
    for (const [name, def] of messagesByName) {
      const wire = byName.get(name);
      if (wire === undefined) continue;
      bound++;
      if (wire !== def.nameCrc) mismatched.push(`${def.nameCrc} vs ${wire}`);
    }
    expect(mismatched).toEqual([]);
    expect(bound).toBeGreaterThan(400);
  });

  it.each(frames.map((f) => [`${f.seq} ${f.dir} ${f.msg}`, f] as const))('%s', (_label, f) => {
    const name = f.msg.replace(/_[0-9a-f]{8}$/, '');
    const def = messagesByName.get(name);
    expect(def, `no binding for ${name}`).toBeDefined();
    expect(def!.nameCrc).toBe(f.msg);
    expect(messagesByNameCrc.get(f.msg)).toBe(def);
    const payload = fromHex(f.hex);
    // frame header: payload length at bytes 8-11, big endian
    const header = fromHex(f.header_hex);
    expect(header.length).toBe(16);
    expect(new DataView(header.buffer).getUint32(8, false)).toBe(payload.length);
    // decode
    const decoded = def!.decode(payload);
    expect(toCaptureJson(decoded, name)).toEqual(selectCases(f.json, name));
    expect((decoded as { _vl_msg_id: number })._vl_msg_id).toBe(f.msg_id);
    // re-encode
    expect(def!.size(decoded)).toBe(payload.length);
    expect(toHex(def!.encode(decoded))).toBe(f.hex);
    // encodeInto at an offset in a dirty buffer writes the same bytes
    const buf = new Uint8Array(payload.length + 7).fill(0xaa);
    expect(def!.encodeInto(decoded, buf, 3)).toBe(3 + payload.length);
    expect(toHex(buf.subarray(3, 3 + payload.length))).toBe(f.hex);
  });

  it.each(frames.map((f) => [`${f.seq} ${f.msg}`, f] as const))(
    'corrupted %s decodes or fails with VppDecodeError',
    (_label, f) => {
      const name = f.msg.replace(/_[0-9a-f]{8}$/, '');
      const def = messagesByName.get(name)!;
      const payload = fromHex(f.hex);
      let seed = f.seq * 7919 + 1;
      const rand = (n: number): number => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed % n;
      };
      for (let round = 0; round < 40; round++) {
        const bad = payload.slice();
        for (let k = 0; k < 1 + rand(4); k++) bad[rand(bad.length)] = rand(256);
        try {
          const msg = def.decode(bad);
          // whatever decodes must encode again (or be refused with a typed error)
          try {
            def.encode(msg);
          } catch (err) {
            expect((err as { name?: string }).name).toBe('VppEncodeError');
          }
        } catch (err) {
          expect((err as { name?: string }).name, String(err)).toBe('VppDecodeError');
        }
      }
    },
  );

  it.each(frames.map((f) => [`${f.seq} ${f.msg}`, f] as const))('truncated %s never crashes', (_label, f) => {
    const name = f.msg.replace(/_[0-9a-f]{8}$/, '');
    const def = messagesByName.get(name)!;
    const payload = fromHex(f.hex);
    const step = payload.length > 400 ? Math.ceil(payload.length / 200) : 1;
    for (let n = 0; n < payload.length; n += step) {
      try {
        def.decode(payload.subarray(0, n));
      } catch (err) {
        const e = err as { name?: string; code?: string; messageName?: string };
        expect(e.name).toBe('VppDecodeError');
        expect(['truncated', 'bad_count', 'bad_value', 'bad_discriminator']).toContain(e.code);
        expect(e.messageName).toBe(name);
      }
    }
  });
});
