import { describe, expect, it } from 'vitest';
import { cniMessages, normaliseAddRequest } from '../src/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const str = (field: number, s: string): string => {
  const body = Buffer.from(s);
  return (
    ((field << 3) | 2).toString(16).padStart(2, '0') + body.length.toString(16).padStart(2, '0') + body.toString('hex')
  );
};
const sub = (field: number, inner: string): string =>
  ((field << 3) | 2).toString(16).padStart(2, '0') + (inner.length / 2).toString(16).padStart(2, '0') + inner;

describe("wire format = Calico's cnibackend.proto", () => {
  it('AddRequest: every field number and wire type', () => {
    const bytes = cniMessages.encodeAddRequest({
      interface_name: 'eth0',
      netns: '/n',
      desired_host_interface_name: 'h',
      settings: { allow_ip_forwarding: true, mtu: 1500 },
      container_ips: [{ address: '10.0.0.1/32', gateway: '10.0.0.254' }],
      container_routes: ['0.0.0.0/0'],
      workload: {
        name: 'w',
        namespace: 'ns',
        labels: { a: 'b' },
        annotations: { c: 'd' },
        endpoint: 'e',
        node: 'n',
        orchestrator: 'k8s',
        pod: 'p',
        ports: [{ name: 'http', protocol: 'TCP', port: 80, host_port: 8080, host_ip: '1.2.3.4' }],
      },
      dataplane_options: { k: 'v' },
    });
    const port = str(1, 'http') + str(2, 'TCP') + '1850' + '20903f' + str(5, '1.2.3.4'); // port=3 varint, host_port=4 varint
    const workload =
      str(1, 'w') +
      str(2, 'ns') +
      sub(3, str(1, 'a') + str(2, 'b')) +
      sub(4, str(1, 'c') + str(2, 'd')) +
      str(5, 'e') +
      str(6, 'n') +
      str(7, 'k8s') +
      str(8, 'p') +
      sub(9, port);
    const expected =
      str(1, 'eth0') +
      str(2, '/n') +
      str(3, 'h') +
      sub(4, '0801' + '10dc0b') + // bool 1, int32 2 (1500 = dc 0b)
      sub(5, str(1, '10.0.0.1/32') + str(2, '10.0.0.254')) +
      str(6, '0.0.0.0/0') +
      sub(7, workload) +
      sub(8, str(1, 'k') + str(2, 'v'));
    expect(hex(bytes)).toBe(expected);
    // and it decodes back to the same thing
    expect(cniMessages.decodeAddRequest(bytes)).toMatchObject({
      interface_name: 'eth0',
      settings: { mtu: 1500, allow_ip_forwarding: true },
      workload: { ports: [{ host_port: 8080 }] },
    });
  });

  it('AddReply, DelRequest, DelReply', () => {
    expect(
      hex(
        cniMessages.encodeAddReply({
          successful: true,
          error_message: 'x',
          host_interface_name: 'h',
          container_mac: 'm',
        }),
      ),
    ).toBe('0801' + str(2, 'x') + str(3, 'h') + str(4, 'm'));
    expect(
      hex(cniMessages.encodeDelRequest({ interface_name: 'eth0', netns: '/n', dataplane_options: { k: 'v' } })),
    ).toBe(str(1, 'eth0') + str(2, '/n') + sub(3, str(1, 'k') + str(2, 'v')));
    expect(hex(cniMessages.encodeDelReply({ successful: false, error_message: 'no' }))).toBe(str(2, 'no'));
  });

  it('decodes hand-built bytes as Calico would send them, with proto3 defaults for absent fields', () => {
    const bytes = Buffer.from(str(2, '/var/run/netns/x') + str(1, 'eth0') + sub(5, str(1, 'fd00::1/128')), 'hex');
    const m = normaliseAddRequest(cniMessages.decodeAddRequest(bytes));
    expect(m).toMatchObject({
      interface_name: 'eth0',
      netns: '/var/run/netns/x',
      container_ips: [{ address: 'fd00::1/128', gateway: '' }],
      settings: { mtu: 0, allow_ip_forwarding: false },
    });
    expect(m.workload.ports).toEqual([]);
    expect(cniMessages.decodeDelReply(Buffer.from('0801', 'hex'))).toEqual({ successful: true, error_message: '' });
  });

  it('unknown fields are skipped (forward compatible), garbage is refused', () => {
    const withUnknown = Buffer.from(str(1, 'eth0') + str(15, 'future'), 'hex');
    expect(cniMessages.decodeAddRequest(withUnknown).interface_name).toBe('eth0');
    expect(() => cniMessages.decodeAddRequest(Buffer.from('0aff01', 'hex'))).toThrow();
  });
});
