/** TUN/TAP through the addon, inside namespaces made here. */
import { closeSync, existsSync, writeSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTuntap } from '../../src/tuntap.js';
import { createNetns, kernelSkipReason, removeAllNetns, type TestNetns } from '../../src/testing/index.js';

const reason = (await kernelSkipReason()) ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun');
if (reason) console.log(`skip tun/tap interop: ${reason}`);

describe.skipIf(reason !== undefined)('tun/tap (kernel)', () => {
  let ns: TestNetns;
  beforeEach(async () => {
    ns = await createNetns('vpt-tun');
  });
  afterEach(async () => {
    await ns.remove();
  });
  afterAll(removeAllNetns);

  it('persistent multi-queue tap with owner and group, up with an MTU', async () => {
    const tap = await ns.nl.link.add({
      kind: 'tap',
      name: 'tap0',
      multiQueue: true,
      owner: 1000,
      group: 1000,
      mtu: 9000,
      up: true,
    });
    expect(tap).toMatchObject({ name: 'tap0', kind: 'tap', mtu: 9000, up: true });
    expect(tap.data).toMatchObject({
      kind: 'tun',
      type: 'tap',
      persist: true,
      multiQueue: true,
      owner: 1000,
      group: 1000,
      pi: false,
    });
    expect(await ns.nl.link.list({ kind: 'tap' })).toHaveLength(1);
    await ns.nl.link.delete('tap0');
    expect(await ns.nl.link.find('tap0')).toBeUndefined();
  });

  it('tun with a vnet header, and a name the kernel picks', async () => {
    const tun = await ns.nl.link.add({ kind: 'tun', name: 'tun0', vnetHdr: true });
    expect(tun.data).toMatchObject({ type: 'tun', vnetHdr: true, persist: true });
    const picked = await createTuntap({ mode: 'tun', netns: ns.name });
    expect(picked.name).toMatch(/^tun\d+$/);
    expect(picked.fd).toBe(-1);
    expect((await ns.nl.link.get(picked.name)).kind).toBe('tun');
  });

  it('non-persistent tap lives as long as its fd', async () => {
    const t = await createTuntap({ mode: 'tap', name: 'tapq', persist: false, keepFd: true, netns: ns.name });
    expect(t.fd).toBeGreaterThan(2);
    expect((await ns.nl.link.get('tapq')).data).toMatchObject({ persist: false });
    // the queue fd is the caller's: writing while the device is down is refused with EIO
    expect(() => writeSync(t.fd, Buffer.alloc(60))).toThrow(/EIO/);
    closeSync(t.fd);
    await expect.poll(async () => ns.nl.link.find('tapq')).toBeUndefined();
  });

  it('is created in the namespace asked for, never in the process namespace', async () => {
    await ns.nl.link.add({ kind: 'tap', name: 'tapns0' });
    const { openNetlink } = await import('../../src/handle.js');
    const here = await openNetlink();
    try {
      expect(await here.link.find('tapns0')).toBeUndefined();
    } finally {
      here.close();
    }
  });

  it('typed errors', async () => {
    await expect(createTuntap({ mode: 'tap', name: 'x', persist: false, netns: ns.name })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'persist',
    });
    await expect(createTuntap({ mode: 'tap', name: 'bad/name', netns: ns.name })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'name',
    });
    await ns.nl.link.add({ kind: 'veth', name: 'taken0', peer: { name: 'taken1' } });
    await expect(createTuntap({ mode: 'tap', name: 'taken0', netns: ns.name })).rejects.toMatchObject({
      name: 'NativeAddonError',
    });
    await expect(createTuntap({ mode: 'tap', name: 'tapx', netns: 'vpt-no-such-ns' })).rejects.toMatchObject({
      name: 'NativeAddonError',
      code: 'ENOENT',
    });
  });
});
