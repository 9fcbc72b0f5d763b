import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore, STATE_FILE_VERSION, type PodRecord } from '../src/index.js';
import { EventFanout, KeyedMutex, Semaphore } from '../src/event-stream.js';
import { VrfAllocator } from '../src/pod-builder.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'cni-state-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const rec = (key: string): PodRecord => ({
  key,
  id: key,
  request: {} as never,
  spec: {} as never,
  swIfIndex: 1,
  loopbackSwIfIndex: 2,
  vrfs: { pod4: 1, pod6: 2 },
  vppMac: '',
  containerMac: '',
  cnatIds: [],
  epoch: 0,
  createdAt: '',
});

describe('state file', () => {
  it('is written atomically with its version, and read back', async () => {
    const d = tmp();
    const store = new StateStore(join(d, 'sub', 'state.json'));
    let pods = [rec('a')];
    store.source(() => pods);
    await store.save();
    pods = [rec('a'), rec('b')];
    await store.save();
    const body = JSON.parse(readFileSync(join(d, 'sub', 'state.json'), 'utf8'));
    expect(body.version).toBe(STATE_FILE_VERSION);
    expect((await store.load()).map((p) => p.key)).toEqual(['a', 'b']);
    expect(readdirSync(join(d, 'sub')).sort()).toEqual(['state.json', 'state.json.journal']); // no temp file left
  });

  it('coalesces bursts: 50 saves, a few writes, every caller sees its state on disk', async () => {
    const store = new StateStore(join(tmp(), 'state.json'));
    const pods: PodRecord[] = [];
    store.source(() => pods);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        pods.push(rec(`p${i}`));
        return store.save();
      }),
    );
    expect(store.writes).toBeLessThan(50);
    expect(await store.load()).toHaveLength(50);
  });

  it('a missing file is an empty state; bad files are refused with typed errors naming the file', async () => {
    const d = tmp();
    const p = join(d, 'state.json');
    expect(await new StateStore(p).load()).toEqual([]);
    writeFileSync(p, '{oops');
    await expect(new StateStore(p).load()).rejects.toMatchObject({
      name: 'StateFileError',
      path: p,
      message: expect.stringMatching(/not JSON/),
    });
    writeFileSync(p, JSON.stringify({ version: 0, pods: [] }));
    await expect(new StateStore(p).load()).rejects.toThrow(/version 0 is not 1/);
    writeFileSync(p, JSON.stringify({ version: 1, pods: [{ key: 1 }] }));
    await expect(new StateStore(p).load()).rejects.toThrow(/pods\[0\]: not a pod record/);
  });

  it('after the first snapshot a save appends only the changes to the journal; a new store reads both', async () => {
    const p = join(tmp(), 'state.json');
    const store = new StateStore(p);
    const a = rec('a');
    let pods = [a, rec('b')];
    store.source(() => pods);
    await store.save(); // snapshot
    const snapshot = readFileSync(p, 'utf8');
    pods = [a, rec('c')]; // b deleted, c added, a untouched
    await store.save();
    expect(readFileSync(p, 'utf8')).toBe(snapshot);
    const lines = readFileSync(`${p}.journal`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.op} ${l.pod?.key ?? l.key}`)).toEqual(['put c', 'del b']);
    expect((await new StateStore(p).load()).map((r) => r.key)).toEqual(['a', 'c']);
    await store.close();
  });

  it('a torn last journal line (a crash mid-append) is ignored; a bad line elsewhere is refused, naming the journal', async () => {
    const p = join(tmp(), 'state.json');
    const store = new StateStore(p);
    let pods = [rec('a')];
    store.source(() => pods);
    await store.save();
    pods = [rec('a'), rec('b')];
    await store.save();
    await store.close();
    const journal = readFileSync(`${p}.journal`, 'utf8');
    writeFileSync(`${p}.journal`, `${journal}{"gen":1,"op":"put","pod":{"key":"x`);
    expect((await new StateStore(p).load()).map((r) => r.key)).toEqual(['a', 'b']);
    writeFileSync(`${p}.journal`, `{oops\n${journal}`);
    await expect(new StateStore(p).load()).rejects.toMatchObject({
      name: 'StateFileError',
      path: `${p}.journal`,
      message: expect.stringMatching(/line 1: not JSON/),
    });
  });

  it('folds the journal into a snapshot of the next generation; older lines never apply again', async () => {
    const p = join(tmp(), 'state.json');
    const store = new StateStore(p);
    let pods: PodRecord[] = [];
    store.source(() => pods);
    for (let i = 0; i < 100; i++) {
      pods = [...pods.filter((r) => r.key !== `p${i - 1}`), rec(`p${i}`)];
      await store.save();
    }
    const snap = JSON.parse(readFileSync(p, 'utf8'));
    expect(snap.gen).toBeGreaterThan(1); // compacted at least once
    expect(readFileSync(`${p}.journal`, 'utf8').split('\n').length).toBeLessThan(140);
    expect((await new StateStore(p).load()).map((r) => r.key)).toEqual(['p99']);
    await store.close();
    // a crash right after a compaction's rename: the new snapshot with the previous generation's journal
    writeFileSync(p, JSON.stringify({ ...snap, pods: [rec('z')] }));
    writeFileSync(`${p}.journal`, `${JSON.stringify({ gen: snap.gen - 1, op: 'put', pod: rec('old') })}\n`);
    expect((await new StateStore(p).load()).map((r) => r.key)).toEqual(['z']);
  });

  it('a frozen store writes nothing more (a crashed server)', async () => {
    const p = join(tmp(), 'state.json');
    const store = new StateStore(p);
    store.source(() => [rec('a')]);
    store.freeze();
    await expect(store.save()).rejects.toThrow(/frozen/);
    expect(await store.load()).toEqual([]);
  });
});

describe('concurrency primitives', () => {
  it('KeyedMutex serialises one key and runs different keys concurrently', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const task = (k: string, ms: number) =>
      m.run(k, async () => {
        log.push(`start ${k}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${k}`);
      });
    await Promise.all([task('a', 30), task('a', 1), task('b', 1)]);
    expect(log.indexOf('end b')).toBeLessThan(log.indexOf('end a'));
    expect(log.filter((l) => l.endsWith('a'))).toEqual(['start a', 'end a', 'start a', 'end a']);
    // a failing task does not block the key
    await expect(m.run('a', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await m.run('a', async () => 7)).toBe(7);
    await new Promise((r) => setTimeout(r, 0));
    expect(m.size).toBe(0);
  });

  it('Semaphore admits in arrival order; a limit by demand (auto admission: half, at least 2 here) grows with a burst and holds while it drains', async () => {
    const gates: (() => void)[] = [];
    const order: number[] = [];
    const peak = { n: 0 };
    const sem = new Semaphore((demand) => Math.max(2, Math.ceil(demand / 2)));
    const task = (i: number) =>
      sem.run(async () => {
        order.push(i);
        peak.n = Math.max(peak.n, sem.active);
        await new Promise<void>((r) => gates.push(r));
      });
    const all = Array.from({ length: 10 }, (_, i) => task(i));
    await new Promise((r) => setTimeout(r, 0));
    // 10 arrived at once: half of them run, the rest wait, first come first served
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(sem.waiting).toBe(5);
    gates.shift()!(); // one ends: the bound stays 5 (peak demand 10), one more goes in
    await new Promise((r) => setTimeout(r, 0));
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    for (let i = 0; i < 5; i++) {
      gates.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    }
    // 6 ended, 4 left: the bound did not shrink with the backlog (half of 4 would be 2), all 4 run
    expect(sem.active).toBe(4);
    expect(sem.waiting).toBe(0);
    while (gates.length > 0 || sem.waiting > 0) {
      gates.splice(0).forEach((g) => g());
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak.n).toBe(5);
    expect(sem.active).toBe(0);
    // idle again: the next burst starts from its own demand
    const small = Array.from({ length: 3 }, (_, i) => task(10 + i));
    await new Promise((r) => setTimeout(r, 0));
    expect(sem.active).toBe(2);
    while (gates.length > 0 || sem.waiting > 0) {
      gates.splice(0).forEach((g) => g());
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all(small);
    // a fixed limit: never more than that at once, and a failing task frees its slot
    const fixed = new Semaphore(1);
    await expect(fixed.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await fixed.run(async () => 3)).toBe(3);
  });

  it('Semaphore with waves: a saturated burst refills its slots only once the whole wave is done (or after maxWaitMs)', async () => {
    const gates: (() => void)[] = [];
    const order: number[] = [];
    const sem = new Semaphore((demand) => Math.max(2, Math.floor(demand / 2) + 1), { waves: { maxWaitMs: 150 } });
    const tick = () => new Promise((r) => setTimeout(r, 0));
    const task = (i: number) =>
      sem.run(async () => {
        order.push(i);
        await new Promise<void>((r) => gates.push(r));
      });
    const all = Array.from({ length: 10 }, (_, i) => task(i));
    await tick();
    expect(order).toEqual([0, 1, 2, 3, 4, 5]); // the bound grew with the arrivals: one more than half of 10
    for (let i = 0; i < 5; i++) gates.shift()!();
    await tick();
    expect(order).toHaveLength(6); // 5 of the wave ended, its last one runs: nobody new yet
    expect(sem.waiting).toBe(4);
    gates.shift()!(); // the wave is done: the next one goes in at once
    await tick();
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    gates.splice(0).forEach((g) => g());
    await Promise.all(all);
    // a stuck task holds the next wave back for maxWaitMs at most
    const more = Array.from({ length: 4 }, (_, i) => task(20 + i));
    await tick();
    expect(sem.active).toBe(3);
    const stuck = gates.shift()!;
    gates.splice(0).forEach((g) => g()); // two of three end, one is stuck
    await tick();
    expect(sem.waiting).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(sem.waiting).toBe(0);
    expect(order.slice(-4)).toEqual([20, 21, 22, 23]);
    stuck();
    gates.splice(0).forEach((g) => g());
    await Promise.all(more);
    expect(sem.active).toBe(0);
  });

  it('VrfAllocator never hands out an id twice and reuses released ones', () => {
    const v = new VrfAllocator(100);
    v.reserve(101);
    expect([v.alloc(), v.alloc(), v.alloc()]).toEqual([100, 102, 103]);
    v.release(100);
    expect(v.alloc()).toBe(100);
  });

  it('EventFanout delivers to every stream and ends them on close', async () => {
    const f = new EventFanout<number>(2);
    const a = f.stream();
    const ita = a[Symbol.asyncIterator]();
    const first = ita.next();
    f.push(1);
    expect(await first).toEqual({ value: 1, done: false });
    f.push(2);
    f.push(3);
    f.push(4); // buffer of 2: 2 is dropped
    expect((await ita.next()).value).toBe(3);
    f.close();
    expect((await ita.next()).value).toBe(4);
    expect((await ita.next()).done).toBe(true);
  });
});
