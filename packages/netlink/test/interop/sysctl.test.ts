import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sysctl } from '../../src/sysctl.js';
import { createNetns, type TestNetns, kernelSkipReason } from '../../src/testing/index.js';

const reason = await kernelSkipReason();
if (reason) console.log(`skip sysctl interop: ${reason}`);

let ns = '';
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const inNs = (file: string): string => ip('netns', 'exec', ns, 'cat', `/proc/sys/${file}`).trim();

describe.skipIf(reason !== undefined)('Sysctl in a namespace the test creates', () => {
  let netns: TestNetns | undefined;
  beforeAll(async () => {
    netns = await createNetns('vp-sysctl');
    ns = netns.name;
    await netns.nl.link.add({ kind: 'veth', name: 'vsa0', peer: { name: 'vsa1' } });
  });
  afterAll(async () => {
    await netns?.remove();
  });

  it('writes forwarding, rp_filter, disable_ipv6 and accept_ra inside the namespace only', async () => {
    const hostForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    const s = new Sysctl({ netns: ns });
    const target = hostForward === '1' ? false : true;
    await s.setIpForward(target);
    expect(await s.getIpForward()).toBe(target);
    expect(inNs('net/ipv4/ip_forward')).toBe(target ? '1' : '0');
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe(hostForward);

    await s.setForwarding('inet6', 'vsa0', true);
    expect(await s.getForwarding('inet6', 'vsa0')).toBe(true);
    expect(inNs('net/ipv6/conf/vsa0/forwarding')).toBe('1');

    await s.setRpFilter('vsa0', 'loose');
    expect(await s.getRpFilter('vsa0')).toBe('loose');
    expect(inNs('net/ipv4/conf/vsa0/rp_filter')).toBe('2');

    await s.setAcceptRa('vsa1', 2);
    expect(await s.getAcceptRa('vsa1')).toBe(2);

    await s.setDisableIpv6('vsa1', true);
    expect(await s.getDisableIpv6('vsa1')).toBe(true);
    expect(inNs('net/ipv6/conf/vsa1/disable_ipv6')).toBe('1');

    await s.set('net.ipv4.conf.vsa1.forwarding', 1);
    expect(await s.get('net/ipv4/conf/vsa1/forwarding')).toBe('1');
  });

  it('an interface of the namespace does not exist in the current one', async () => {
    const here = new Sysctl();
    await expect(here.get('net/ipv4/conf/vsa0/forwarding')).rejects.toMatchObject({
      name: 'SysctlError',
      code: 'ENOENT',
      op: 'read',
    });
  });

  it('reports unknown keys and refused values with typed errors', async () => {
    const s = new Sysctl({ netns: ns });
    await expect(s.getForwarding('inet', 'nosuchlink0')).rejects.toMatchObject({
      name: 'SysctlError',
      code: 'ENOENT',
      key: 'net/ipv4/conf/nosuchlink0/forwarding',
    });
    await expect(s.set('net/ipv4/conf/vsa0/rp_filter', 'not-a-number')).rejects.toMatchObject({
      name: 'SysctlError',
      code: 'EINVAL',
      op: 'write',
    });
  });

  it('a missing namespace fails with a typed error', async () => {
    const s = new Sysctl({ netns: `${ns}-missing` });
    await expect(s.getIpForward()).rejects.toMatchObject({
      name: 'NetnsNotFoundError',
      code: 'ENOENT',
      netns: `${ns}-missing`,
    });
  });
});
