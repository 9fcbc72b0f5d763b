/**
 * Replays the client side of the real VPP 26.06 capture, byte for byte, against the fake and compares its answers
 * with what VPP answered, frame by frame (matched by context and message name). Values that are VPP's
 * run-time accidents (pids, build date, the message table, hash order of route dumps, packet counters in
 * CLI output) are compared loosely; everything else must be equal, FIB stats indexes included.
 */
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameDecoder, frame } from '../src/codec/frame.js';
import { messagesByName, messagesByNameCrc } from '../src/generated/index.js';
import { type FakeVpp, connectRawVpp, startFakeVpp } from '../src/testing/index.js';

/** Answers whose bytes carry run-time accidents (pids, dates, counters, the table) or hash order (routes). */
const LOOSE = new Set([
  'sockclnt_create_reply',
  'control_ping_reply',
  'show_version_reply',
  'ip_route_details',
  'cli_inband_reply',
]);

/** A decoded message or its capture JSON, read field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- golden frames of every message shape
type Json = Record<string, any>;

interface Frame {
  seq: number;
  dir: 'c2s' | 's2c';
  msg: string;
  msg_id: number;
  hex: string;
  json: Json;
}

const goldenPath = fileURLToPath(new URL('../../../../shared/vpp-golden/session-main.jsonl', import.meta.url));
const frames: Frame[] = readFileSync(goldenPath, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l))
  .filter((o) => o.kind === 'frame');

const nameOf = (nameCrc: string): string => nameCrc.slice(0, nameCrc.lastIndexOf('_'));

/** Normalises the run-time accidents out of a decoded message. */
function normalise(name: string, m: Json): Json {
  const { _vl_msg_id, _0, ...rest } = m;
  if (name === 'sockclnt_create_reply') return { response: rest.response, context: rest.context };
  if (name === 'control_ping_reply') return { ...rest, vpe_pid: 'pid' };
  if (name === 'show_version_reply') return { ...rest, build_date: 'date' };

  if (name === 'cli_inband_reply') {
    // Counters depend on traffic; keep each row up to the MTU column.
    const rows = (rest.reply as string)
      .split('\n')
      .map((l) => (l.length > 68 && !l.startsWith(' ') ? l.slice(0, 68) : l))
      .filter((l) => l && !l.startsWith('      '));
    return { ...rest, reply: rows };
  }
  return rest;
}

let fake: FakeVpp;
const received = new Map<number, { name: string; json: Json; hex: string }[]>();

beforeAll(async () => {
  fake = await startFakeVpp();
  const socket = createConnection(fake.socketPath);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const decoder = new FrameDecoder();
  const ourIdToDef = new Map<number, typeof messagesByName extends ReadonlyMap<string, infer D> ? D : never>();
  for (const def of messagesByName.values()) {
    const id = fake.messageId(def.name);
    if (id !== undefined) ourIdToDef.set(id, def);
  }
  let waiting: (() => void) | undefined;
  let count = 0;
  socket.on('data', (chunk: Buffer) => {
    for (const p of decoder.push(chunk).payloads) {
      const id = ((p[0] ?? 0) << 8) | (p[1] ?? 0);
      const def = ourIdToDef.get(id);
      if (!def) continue;
      const json = def.decode(p) as Json;
      const ctx = typeof json.context === 'number' ? json.context : -1;
      const list = received.get(ctx) ?? [];
      list.push({ name: def.name, json, hex: Buffer.from(p).toString('hex') });
      received.set(ctx, list);
      count++;
      waiting?.();
    }
  });
  const expected = frames.filter((f) => f.dir === 's2c').length;
  for (const f of frames.filter((x) => x.dir === 'c2s')) {
    // The fake numbers messages as the captured VPP did, so the client's bytes go out unchanged.
    const def = messagesByNameCrc.get(f.msg);
    if (!def) throw new Error(`no binding for ${f.msg}`);
    if (fake.messageId(def.name) !== f.msg_id) throw new Error(`fake gives ${def.name} another id than VPP did`);
    socket.write(frame(Buffer.from(f.hex, 'hex')));
    // One request at a time, as the capture's client did.
    await new Promise((r) => setTimeout(r, 5));
  }
  const deadline = Date.now() + 5000;
  while (count < expected && Date.now() < deadline) await new Promise<void>((r) => ((waiting = r), setTimeout(r, 50)));
  socket.destroy();
});

afterAll(async () => {
  await fake.stop();
});

describe('fake VPP answers the captured session like VPP 26.06', () => {
  const byContext = new Map<number, Frame[]>();
  for (const f of frames.filter((x) => x.dir === 's2c')) {
    const ctx = typeof f.json.context === 'number' ? f.json.context : -1;
    byContext.set(ctx, [...(byContext.get(ctx) ?? []), f]);
  }
  const requestName = new Map<number, string>();
  for (const f of frames.filter((x) => x.dir === 'c2s' && !x.msg.startsWith('control_ping')))
    requestName.set(f.json.context, nameOf(f.msg));

  for (const [ctx, expected] of byContext) {
    const label = ctx === -1 ? 'events' : `context ${ctx} (${requestName.get(ctx) ?? 'control_ping'})`;
    it(label, () => {
      const got = received.get(ctx) ?? [];
      const want = expected.map((f) => ({ name: nameOf(f.msg), json: normalise(nameOf(f.msg), f.json) }));
      const have = got.map((g) => ({ name: g.name, json: normalise(g.name, g.json) }));
      if (want.some((w) => w.name === 'ip_route_details')) {
        // VPP walks its FIB hash: compare the set of routes, not their order.
        const key = (x: { json: Json }): string => JSON.stringify(x.json);
        expect(have.map(key).sort()).toEqual(want.map(key).sort());
      } else {
        expect(have).toEqual(want);
      }
    });
  }
});

it('every captured VPP answer has a counterpart from the fake', () => {
  const total = [...received.values()].reduce((n, l) => n + l.length, 0);
  expect(total).toBe(frames.filter((f) => f.dir === 's2c').length);
  expect(received.get(15)?.filter((m) => m.name === 'ip_route_details').length).toBe(11);
});

it('announces every message with the CRC and the id the captured VPP gave it', async () => {
  const table = (frames.find((f) => f.msg.startsWith('sockclnt_create_reply'))?.json.message_table ?? []) as {
    index: number;
    name: string;
  }[];
  expect(table.length).toBeGreaterThan(1000);
  const f = await startFakeVpp();
  try {
    const vpp = await connectRawVpp({ socket: f.socketPath });
    let common = 0;
    for (const e of table) {
      const name = nameOf(e.name);
      const def = messagesByName.get(name);
      if (!def || f.messageId(name) === undefined) continue;
      common++;
      expect(def.nameCrc, name).toBe(e.name);
      expect(vpp.messageId(name), name).toBe(f.messageId(name));
      expect(f.messageId(name), `id of ${name}`).toBe(e.index);
    }
    expect(common).toBeGreaterThan(300);
    await vpp.close();
  } finally {
    await f.stop();
  }
});

it('answers byte for byte like VPP wherever no run-time accident is involved', () => {
  let exact = 0;
  const byName = new Map<string, number>();
  for (const f of frames.filter((x) => x.dir === 's2c' && !LOOSE.has(nameOf(x.msg)))) {
    const ctx = typeof f.json.context === 'number' ? f.json.context : -1;
    const got = (received.get(ctx) ?? []).filter((g) => g.name === nameOf(f.msg));
    const same = byName.get(`${ctx}/${f.msg}`) ?? 0;
    byName.set(`${ctx}/${f.msg}`, same + 1);
    expect(got[same]?.hex, `${nameOf(f.msg)} (context ${ctx})`).toBe(f.hex);
    exact++;
  }
  expect(exact).toBeGreaterThan(25);
});
