import { describe, expect, it } from 'vitest';
import { canonicalIp, normaliseAddRequest, podKey, toPodSpec, type SpecDefaultsForTest } from './spec-helpers.js';

const D: SpecDefaultsForTest = {
  mode: 'tun',
  mtu: 1500,
  encapsulation: 'none',
  rxMode: 'adaptive',
  hostIfPrefix: 'vpcni',
  memif: true,
};
const base = { interface_name: 'eth0', netns: '/run/netns/x', container_ips: [{ address: '10.0.0.1/32' }] };
const spec = (extra: object = {}, d: Partial<SpecDefaultsForTest> = {}) =>
  toPodSpec(normaliseAddRequest({ ...base, ...extra }), { ...D, ...d });

describe('AddRequest → PodSpec', () => {
  it('canonical IPs; gateways default to the link-local ones', () => {
    expect(canonicalIp('fd00:0:0::0001')).toEqual({ address: 'fd00::1', family: 6 });
    expect(canonicalIp('10.0.0.01')).toBeUndefined();
    const s = spec({ container_ips: [{ address: '10.0.0.1' }, { address: 'FD00::0:1/128', gateway: 'fd00::ff' }] });
    expect(s.ips).toEqual([
      { address: '10.0.0.1', family: 4, gateway: '169.254.0.1' },
      { address: 'fd00::1', family: 6, gateway: 'fd00::ff' },
    ]);
    expect(s.key).toBe(podKey('/run/netns/x', 'eth0'));
    expect(s.hostIfName).toMatch(/^vpcni[0-9a-f]{10}$/);
  });

  it('MTU: the configured one minus encapsulation, capped by settings.mtu', () => {
    expect(spec().mtu).toBe(1500);
    expect(spec({}, { encapsulation: 'ipip' }).mtu).toBe(1480);
    expect(spec({}, { encapsulation: 'vxlan' }).mtu).toBe(1450);
    expect(spec({}, { encapsulation: 'wireguard' }).mtu).toBe(1440);
    expect(spec({ settings: { mtu: 1400 } }, { encapsulation: 'wireguard' }).mtu).toBe(1400);
    expect(spec({ settings: { mtu: 9000 } }, { encapsulation: 'vxlan' }).mtu).toBe(1450);
    expect(() => spec({ settings: { mtu: 100 } })).toThrow(
      expect.objectContaining({ name: 'InvalidRequestError', field: 'settings.mtu' }),
    );
  });

  it('vppInterfacesSpec picks tun or tap (not in veth mode), queues and rx mode', () => {
    const ann = (v: object) => ({
      workload: { annotations: { 'cni.projectcalico.org/vppInterfacesSpec': JSON.stringify(v) } },
    });
    expect(spec(ann({ eth0: { isl3: false, rx: 2, tx: 3, rxqsz: 512, rxMode: 'polling' } }))).toMatchObject({
      mode: 'tap',
      rxQueues: 2,
      txQueues: 3,
      rxQueueSize: 512,
      txQueueSize: 1024,
      rxMode: 'polling',
    });
    expect(spec(ann({ eth1: { isl3: false } })).mode).toBe('tun');
    expect(spec(ann({ eth0: { isl3: false } }), { mode: 'veth' }).mode).toBe('veth');
    expect(() => spec(ann({ eth0: { rx: -1 } }))).toThrow(
      expect.objectContaining({ field: 'workload.annotations["cni.projectcalico.org/vppInterfacesSpec"].eth0.rx' }),
    );
    expect(() => spec({ workload: { annotations: { 'cni.projectcalico.org/vppInterfacesSpec': '{' } } })).toThrow(
      /is not JSON/,
    );
  });

  it('hostPorts, AllowedSourcePrefixes and memif ports', () => {
    const s = spec({
      workload: {
        ports: [
          { name: 'a', protocol: 'udp', port: 53, host_port: 5353, host_ip: '0.0.0.0' },
          { name: 'b', protocol: 'TCP', port: 80, host_port: 0 },
        ],
        annotations: {
          'cni.projectcalico.org/AllowedSourcePrefixes': '["192.168.0.0/16","fd00::/8"]',
          'cni.projectcalico.org/vppExtraMemifPorts': 'tcp:4444-20000,udp:53',
        },
      },
    });
    expect(s.hostPorts).toEqual([{ protocol: 'UDP', port: 53, hostPort: 5353, hostIp: '' }]);
    expect(s.allowedSourcePrefixes).toEqual(['192.168.0.0/16', 'fd00::/8']);
    expect(s.memifPorts).toEqual([
      { protocol: 'TCP', start: 4444, end: 20000 },
      { protocol: 'UDP', start: 53, end: 53 },
    ]);
    expect(() => spec({ workload: { ports: [{ protocol: 'ICMP', port: 1, host_port: 1 }] } })).toThrow(
      expect.objectContaining({ field: 'workload.ports[0].protocol' }),
    );
    expect(() => spec({ workload: { ports: [{ protocol: 'TCP', port: 80, host_port: 70000 }] } })).toThrow(
      expect.objectContaining({ field: 'workload.ports[0].host_port' }),
    );
    expect(() =>
      spec({ workload: { annotations: { 'cni.projectcalico.org/vppExtraMemifPorts': 'tcp:9-8' } } }),
    ).toThrow(/vppExtraMemifPorts"\]\[0\]/);
  });

  it('interface names: length, characters; netns must be a path', () => {
    expect(() => spec({ interface_name: '' })).toThrow(expect.objectContaining({ field: 'interface_name' }));
    expect(() => spec({ interface_name: 'a'.repeat(16) })).toThrow(/at most 15 bytes/);
    expect(spec({ interface_name: 'a'.repeat(15) }).ifname).toHaveLength(15);
    expect(() => spec({ interface_name: 'eth 0' })).toThrow(expect.objectContaining({ field: 'interface_name' }));
    expect(() => spec({ desired_host_interface_name: 'x/y' })).toThrow(
      expect.objectContaining({ field: 'desired_host_interface_name' }),
    );
    expect(() => spec({ netns: 'relative' })).toThrow(expect.objectContaining({ field: 'netns' }));
  });

  it('errors keep the value they refuse', () => {
    try {
      spec({ container_ips: [{ address: 'banana' }] });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({
        name: 'InvalidRequestError',
        code: 'INVALID_REQUEST',
        field: 'container_ips[0].address',
        value: 'banana',
      });
    }
  });
});
