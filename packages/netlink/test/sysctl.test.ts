import { describe, expect, it } from 'vitest';
import { Sysctl, checkSysctlKey, confKey, formatSysctlValue, type SysctlComponents } from '../src/sysctl.js';

function fake(
  initial: Record<string, string> = {},
): SysctlComponents & { files: Map<string, string>; writes: string[] } {
  const files = new Map(Object.entries(initial));
  const writes: string[] = [];
  return {
    files,
    writes,
    async read(key) {
      const v = files.get(key);
      if (v === undefined) throw Object.assign(new Error('ENOENT'), { name: 'SysctlError', code: 'ENOENT' });
      return `${v}\n`;
    },
    async write(key, value) {
      writes.push(`${key}=${value}`);
      files.set(key, value);
    },
  };
}

describe('checkSysctlKey', () => {
  it('accepts slash and dotted keys under net/', () => {
    expect(checkSysctlKey('net/ipv4/ip_forward')).toBe('net/ipv4/ip_forward');
    expect(checkSysctlKey('net.ipv6.conf.all.forwarding')).toBe('net/ipv6/conf/all/forwarding');
    expect(checkSysctlKey('net/ipv4/conf/eth0.100/rp_filter')).toBe('net/ipv4/conf/eth0.100/rp_filter');
  });
  it.each([
    ['', 'must be a non-empty string'],
    ['/proc/sys/net/ipv4/ip_forward', 'no leading'],
    ['net/../kernel/hostname', "'..'"],
    ['net/./ipv4', "'.'"],
    ['net//ipv4', 'empty segments'],
    ['kernel/hostname', "under 'net/'"],
    ['net', "under 'net/'"],
    ['net/ipv4/ip forward', 'whitespace'],
    ['net/ipv4\0', 'NUL'],
  ])('refuses %j naming the field', (key, reason) => {
    let err: unknown;
    try {
      checkSysctlKey(key);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'InvalidArgumentError', code: 'EINVAL', field: 'path' });
    expect((err as Error).message).toContain(reason);
  });
  it('refuses non-strings', () => {
    expect(() => checkSysctlKey(42)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', field: 'path' }));
  });
});

describe('formatSysctlValue', () => {
  it('formats booleans, integers, strings and arrays', () => {
    expect(formatSysctlValue(true)).toBe('1');
    expect(formatSysctlValue(false)).toBe('0');
    expect(formatSysctlValue(-1)).toBe('-1');
    expect(formatSysctlValue('reno')).toBe('reno');
    expect(formatSysctlValue([4096, 87380, 6291456])).toBe('4096 87380 6291456');
  });
  it('refuses floats, newlines and objects', () => {
    for (const v of [1.5, 'a\nb', {}, null]) {
      expect(() => formatSysctlValue(v)).toThrow(
        expect.objectContaining({ name: 'InvalidArgumentError', field: 'value' }),
      );
    }
  });
});

describe('confKey', () => {
  it('builds per-family keys and validates the interface', () => {
    expect(confKey('inet', 'all', 'forwarding')).toBe('net/ipv4/conf/all/forwarding');
    expect(confKey('inet6', 'eth0', 'accept_ra')).toBe('net/ipv6/conf/eth0/accept_ra');
    expect(() => confKey('inet', '../x', 'forwarding')).toThrow(expect.objectContaining({ field: 'iface' }));
    expect(() => confKey('inet', 'a-name-longer-than-15', 'forwarding')).toThrow(
      expect.objectContaining({ field: 'iface' }),
    );
    expect(() => confKey('ipx' as 'inet', 'all', 'forwarding')).toThrow(expect.objectContaining({ field: 'family' }));
  });
});

describe('Sysctl with injected components', () => {
  it('reads and writes typed helpers', async () => {
    const io = fake({
      'net/ipv4/ip_forward': '0',
      'net/ipv4/conf/all/forwarding': '0',
      'net/ipv6/conf/eth0/forwarding': '1',
      'net/ipv4/conf/eth0/rp_filter': '2',
      'net/ipv6/conf/all/disable_ipv6': '0',
      'net/ipv6/conf/eth0/accept_ra': '1',
    });
    const s = new Sysctl({}, io);
    expect(await s.getIpForward()).toBe(false);
    await s.setIpForward(true);
    expect(await s.getIpForward()).toBe(true);
    expect(await s.getForwarding('inet6', 'eth0')).toBe(true);
    await s.setForwarding('inet', 'all', true);
    expect(await s.getRpFilter('eth0')).toBe('loose');
    await s.setRpFilter('eth0', 'strict');
    expect(await s.getDisableIpv6()).toBe(false);
    await s.setDisableIpv6('all', true);
    expect(await s.getAcceptRa('eth0')).toBe(1);
    await s.setAcceptRa('eth0', 2);
    expect(io.writes).toEqual([
      'net/ipv4/ip_forward=1',
      'net/ipv4/conf/all/forwarding=1',
      'net/ipv4/conf/eth0/rp_filter=1',
      'net/ipv6/conf/all/disable_ipv6=1',
      'net/ipv6/conf/eth0/accept_ra=2',
    ]);
  });
  it('get trims, getInt parses, set formats', async () => {
    const io = fake({ 'net/core/somaxconn': '4096', 'net/ipv4/tcp_congestion_control': 'cubic' });
    const s = new Sysctl({}, io);
    expect(await s.get('net.ipv4.tcp_congestion_control')).toBe('cubic');
    expect(await s.getInt('net/core/somaxconn')).toBe(4096);
    await expect(s.getInt('net/ipv4/tcp_congestion_control')).rejects.toMatchObject({
      name: 'SysctlError',
      code: 'EPROTO',
    });
    await s.set('net/ipv4/tcp_rmem', [4096, 131072, 6291456]);
    expect(io.files.get('net/ipv4/tcp_rmem')).toBe('4096 131072 6291456');
  });
  it('refuses bad input before any I/O', async () => {
    const io = fake();
    const s = new Sysctl({}, io);
    await expect(s.set('../etc/passwd', 1)).rejects.toMatchObject({ name: 'InvalidArgumentError', field: 'path' });
    await expect(s.setRpFilter('all', 'medium' as 'loose')).rejects.toMatchObject({ field: 'mode' });
    await expect(s.setAcceptRa('all', 3 as 2)).rejects.toMatchObject({ field: 'mode' });
    await expect(s.setForwarding('inet', 'all', 1 as unknown as boolean)).rejects.toMatchObject({ field: 'on' });
    expect(io.writes).toEqual([]);
  });
  it('validates the namespace name', () => {
    expect(() => new Sysctl({ netns: '../x' })).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError', field: 'netns' }),
    );
  });
  it('reports a rp_filter value it does not know', async () => {
    const s = new Sysctl({}, fake({ 'net/ipv4/conf/all/rp_filter': '7' }));
    await expect(s.getRpFilter()).rejects.toMatchObject({
      name: 'SysctlError',
      code: 'EPROTO',
      key: 'net/ipv4/conf/all/rp_filter',
    });
  });
});
