import { createMemorySource } from '@vectorplane/kube';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBgpController,
  createGobgpClient,
  createGobgpSpeaker,
  spawnGobgpd,
  type BgpSpeaker,
} from '../../src/index.js';
import { interopSkipReason, nodeObject, startNodeVpp } from './env.js';

const skip = interopSkipReason();
if (skip) console.log(`bgp interop errors: skipped (${skip})`);

describe('bgp: gobgpd that cannot start', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bgp-err-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('bgp: gobgpd not installed → GobgpdNotFoundError naming the path', async () => {
    await expect(spawnGobgpd({ gobgpdPath: join(dir, 'no-such-gobgpd') })).rejects.toMatchObject({
      name: 'GobgpdNotFoundError',
      code: 'GOBGPD_NOT_FOUND',
      path: join(dir, 'no-such-gobgpd'),
    });
    const speaker = createGobgpSpeaker({
      global: { asn: 64512, routerId: '10.0.0.1', listenAddresses: ['127.0.0.1'] },
      daemon: { spawn: { gobgpdPath: join(dir, 'no-such-gobgpd') } },
    });
    await expect(speaker.start()).rejects.toMatchObject({ name: 'GobgpdNotFoundError' });
  });

  it('bgp: a bare gobgpdPath is looked up in PATH (non-executable files skipped); not on PATH → GobgpdNotFoundError listing what was tried', async () => {
    const [empty, nonExec, bin] = [join(dir, 'p-empty'), join(dir, 'p-nonexec'), join(dir, 'p-bin')];
    for (const d of [empty, nonExec, bin]) await mkdir(d, { recursive: true });
    await writeFile(join(nonExec, 'vp-test-gobgpd'), '#!/bin/sh\necho "wrong one" >&2\nexit 1\n');
    await chmod(join(nonExec, 'vp-test-gobgpd'), 0o644);
    await writeFile(join(bin, 'vp-test-gobgpd'), '#!/bin/sh\necho "ran $0 from PATH" >&2\nexit 1\n');
    await chmod(join(bin, 'vp-test-gobgpd'), 0o755);
    const saved = process.env['PATH'];
    process.env['PATH'] = [empty, nonExec, bin].join(':');
    try {
      // found: it is run (and fails like a daemon that exits), so the error is GobgpdStartError with its output
      const err = await spawnGobgpd({ gobgpdPath: 'vp-test-gobgpd' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'GobgpdStartError' });
      expect((err as { stderr: string }).stderr).toContain(`ran ${join(bin, 'vp-test-gobgpd')} from PATH`);
      const missing = await spawnGobgpd({ gobgpdPath: 'vp-no-such-gobgpd' }).catch((e: unknown) => e);
      expect(missing).toMatchObject({
        name: 'GobgpdNotFoundError',
        code: 'GOBGPD_NOT_FOUND',
        path: 'vp-no-such-gobgpd',
        searched: [empty, nonExec, bin].map((d) => join(d, 'vp-no-such-gobgpd')),
      });
      expect((missing as Error).message).toContain(`in PATH (tried ${join(empty, 'vp-no-such-gobgpd')}, `);
    } finally {
      process.env['PATH'] = saved;
    }
  });

  it.skipIf(!existsSync('/usr/bin/gobgpd'))('bgp: the bare name "gobgpd" starts the installed daemon', async () => {
    const saved = process.env['PATH'];
    process.env['PATH'] = `${join(dir, 'p-empty-2')}:/usr/bin`;
    try {
      const d = await spawnGobgpd({ gobgpdPath: 'gobgpd' });
      try {
        const client = createGobgpClient({ target: d.target });
        try {
          await expect(client.call('GetBgp', {})).resolves.toBeDefined();
        } finally {
          client.close();
        }
      } finally {
        await d.stop();
      }
    } finally {
      process.env['PATH'] = saved;
    }
  });

  it('bgp: a controller whose gobgpd cannot start does not report idle: start() and idle() reject with the typed error', async () => {
    const { fake, vpp, uplink } = await startNodeVpp('10.99.9.1', undefined);
    const source = createMemorySource();
    const controller = createBgpController(
      { nodeName: 'node-x', uplinkSwIfIndex: uplink, gobgpd: { gobgpdPath: join(dir, 'no-such-gobgpd') } },
      { vpp, source },
    );
    const errors: Error[] = [];
    controller.addEventListener('bgp:error', (e) => errors.push((e as CustomEvent<{ error: Error }>).detail.error));
    try {
      source.apply(nodeObject('node-x', '10.99.9.1', undefined));
      const notFound = { name: 'GobgpdNotFoundError', path: join(dir, 'no-such-gobgpd') };
      await expect(controller.start()).rejects.toMatchObject(notFound);
      await expect(controller.idle()).rejects.toMatchObject(notFound);
      expect(controller.speakerError).toMatchObject(notFound);
      expect(controller.speaker).toBeUndefined();
      expect(errors.map((e) => e.name)).toContain('GobgpdNotFoundError');
      // a later change tries again, and still does not report success
      source.apply(nodeObject('node-y', '10.99.9.2', undefined));
      await expect(controller.idle()).rejects.toMatchObject(notFound);
    } finally {
      await controller.stop();
      await source.close();
      await vpp.close();
      await fake.stop();
    }
    expect(controller.speakerError).toBeUndefined();
  });

  it('bgp: a daemon whose socket never appears → GobgpdStartError after the timeout; one that exits → GobgpdStartError with its output', async () => {
    const sleeper = join(dir, 'sleepy-gobgpd');
    await writeFile(sleeper, '#!/bin/sh\nexec sleep 30\n');
    await chmod(sleeper, 0o755);
    const t0 = Date.now();
    const err = await spawnGobgpd({ gobgpdPath: sleeper, readyTimeoutMs: 400 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'GobgpdStartError', code: 'GOBGPD_START_FAILED' });
    expect((err as Error).message).toMatch(/did not appear within 400 ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
    const failing = join(dir, 'failing-gobgpd');
    await writeFile(failing, '#!/bin/sh\necho "bad flag" >&2\nexit 1\n');
    await chmod(failing, 0o755);
    const err2 = await spawnGobgpd({ gobgpdPath: failing }).catch((e: unknown) => e);
    expect(err2).toMatchObject({ name: 'GobgpdStartError', stderr: expect.stringContaining('bad flag') });
  });
});

describe.skipIf(!!skip)('bgp: bad input to a running speaker names the object; the rest is unaffected', () => {
  let speaker: BgpSpeaker;
  const socket = join(tmpdir(), `bgp-err-${process.pid}.sock`);
  beforeAll(async () => {
    speaker = createGobgpSpeaker({
      global: { asn: 64512, routerId: '10.0.0.1', listenPort: -1, listenAddresses: ['127.0.0.1'] },
      daemon: { spawn: { socket } },
    });
    await speaker.start();
    await speaker.addPeer({ address: '127.0.0.2', asn: 64512, passive: true });
    await speaker.announce({ prefix: '10.244.1.0/26', nextHop: '10.0.0.1' });
  });
  afterAll(async () => {
    await speaker.stop();
  });

  it('bgp: ASN out of range', async () => {
    expect(() =>
      createGobgpSpeaker({ global: { asn: 0, routerId: '10.0.0.1', listenAddresses: ['127.0.0.1'] } }),
    ).toThrow(expect.objectContaining({ name: 'BgpInvalidConfigError', object: 'global', field: 'asn', value: 0 }));
    await expect(speaker.addPeer({ address: '127.0.0.3', asn: 2 ** 32 })).rejects.toMatchObject({
      name: 'BgpInvalidConfigError',
      object: 'peer 127.0.0.3',
      field: 'asn',
    });
  });

  it('bgp: malformed peer IP, unknown policy, bad password', async () => {
    await expect(speaker.addPeer({ address: '10.0.0.300', asn: 64512 })).rejects.toMatchObject({
      name: 'BgpInvalidConfigError',
      object: 'peer 10.0.0.300',
      field: 'address',
    });
    await expect(speaker.addPeer({ address: '127.0.0.4', asn: 64512, importPolicies: ['nope'] })).rejects.toMatchObject(
      { field: 'importPolicies[0]', value: 'nope' },
    );
    await expect(speaker.addPeer({ address: '127.0.0.5', asn: 64512, password: '' })).rejects.toMatchObject({
      field: 'password',
    });
  });

  it('bgp: a peer gobgpd refuses (a duplicate) → BgpPeerRefusedError naming it', async () => {
    await expect(speaker.addPeer({ address: '127.0.0.2', asn: 64512 })).rejects.toMatchObject({
      name: 'BgpPeerRefusedError',
      address: '127.0.0.2',
      operation: 'add',
      cause: { name: 'GobgpApiError', method: 'AddPeer' },
    });
  });

  it('bgp: an AddPath gobgpd refuses → BgpPathRefusedError naming the prefix; other peers and routes unaffected', async () => {
    // stop BGP behind the speaker's back: gobgpd then refuses AddPath
    const raw = createGobgpClient({ target: `unix://${socket}` });
    try {
      await raw.call('StopBgp', {});
      const err = await speaker.announce({ prefix: '10.244.2.0/26', nextHop: '10.0.0.1' }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        name: 'BgpPathRefusedError',
        code: 'BGP_PATH_REFUSED',
        prefix: '10.244.2.0/26',
        operation: 'announce',
        cause: { name: 'GobgpApiError', method: 'AddPath' },
      });
      await raw.call('StartBgp', {
        global: { asn: 64512, router_id: '10.0.0.1', listen_port: -1, listen_addresses: ['127.0.0.1'] },
      });
    } finally {
      raw.close();
    }
    await expect(speaker.announce({ prefix: '10.244.3.0/26', nextHop: '10.0.0.1' })).resolves.toBeUndefined();
    expect((await speaker.bestPaths('ipv4')).map((p) => p.prefix)).toEqual(['10.244.3.0/26']);
  });

  it('bgp: malformed announcements are refused before gobgpd sees them', async () => {
    await expect(speaker.announce({ prefix: '10.244.0.0/33' })).rejects.toMatchObject({
      name: 'BgpInvalidConfigError',
      object: 'route 10.244.0.0/33',
      field: 'prefix',
    });
    await expect(speaker.announce({ prefix: 'fd00::/64', nextHop: '10.0.0.1' })).rejects.toMatchObject({
      field: 'nextHop',
    });
    await expect(speaker.announce({ prefix: '10.9.0.0/16', communities: ['70000:1'] })).rejects.toMatchObject({
      field: 'communities',
    });
  });
});
