import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readState, removeState, writeJsonAtomic, type ManagerState } from '../src/index.js';

describe('state file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vpm-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const state = (n: number): ManagerState =>
    ({
      version: 1,
      pid: n,
      startedAt: new Date(0).toISOString(),
      phase: 'captured',
      hostNetns: undefined,
      vppNetns: 'vpp',
      createdVppNetns: true,
      uplink: {
        name: 'eth0',
        snapshot: {
          version: 1,
          ifname: 'eth0',
          capturedAt: '',
          link: { mtu: 1500, up: true, promisc: false, txqueuelen: 1000 },
          addresses: [],
          routes: [],
        },
      },
    }) as unknown as ManagerState;

  it('writes atomically (no temporary file left, a new directory created) and reads back', async () => {
    const p = join(dir, 'sub', 'state.json');
    await writeJsonAtomic(p, state(1));
    await writeJsonAtomic(p, state(2));
    expect((await readState(p))?.pid).toBe(2);
    expect(await readdir(join(dir, 'sub'))).toEqual(['state.json']);
    await removeState(p);
    expect(await readState(p)).toBeUndefined();
  });

  it('a reader racing many writers always sees a whole state', async () => {
    const p = join(dir, 'state.json');
    await writeJsonAtomic(p, state(0));
    let torn = 0;
    const reads = (async () => {
      for (let i = 0; i < 200; i++) {
        try {
          JSON.parse(await readFile(p, 'utf8'));
        } catch {
          torn++;
        }
      }
    })();
    await Promise.all([reads, ...Array.from({ length: 50 }, (_v, i) => writeJsonAtomic(p, state(i)))]);
    expect(torn).toBe(0);
  });

  it('refuses a file that is not JSON or not a state, naming the file', async () => {
    const p = join(dir, 'bad.json');
    await writeFile(p, '{"version": 1');
    await expect(readState(p)).rejects.toMatchObject({
      name: 'StateFileError',
      code: 'ESTATE',
      path: p,
      message: expect.stringMatching(/not valid JSON/),
    });
    await writeFile(p, '{"version": 2}');
    await expect(readState(p)).rejects.toMatchObject({
      name: 'StateFileError',
      message: expect.stringMatching(/not a vpp-manager state/),
    });
  });

  it('reports a state that cannot be written', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await expect(writeJsonAtomic(join(dir, 'file', 'state.json'), {})).rejects.toMatchObject({
      name: 'StateFileError',
      code: 'ESTATE',
    });
  });
});
