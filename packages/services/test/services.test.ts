/**
 * Behaviour that needs the fake's controls: VPP restarts, failing requests, SNAT state, and the
 * announcement stream.
 */
import { createMemorySource } from '@vectorplane/kube';
import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { type FakeVpp, startFakeVpp } from '@vectorplane/vpp-binapi/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CNAT_POLICY_K8S,
  CNAT_SNAT_TABLE,
  createServices,
  type Services,
  type ServicesInit,
  type VipEvent,
} from '../src/index.js';
import { endpoint, makeService, makeSlice } from '../src/testing/index.js';
import { dumpBrief, memoryLogger, until } from './helpers.js';

const INIT: ServicesInit = {
  node: { name: 'node-a', addresses: ['192.168.1.10', 'fd00::10'] },
  serviceCidrs: ['10.96.0.0/12', 'fd00:96::/108'],
};

let fake: FakeVpp;
let vpp: VppClient<VppApi>;
let all: Services[];

beforeEach(async () => {
  fake = await startFakeVpp();
  vpp = await connectVpp({
    socket: fake.socketPath,
    name: 'svc-test',
    reconnect: { initialDelayMs: 10, maxDelayMs: 50, healthIntervalMs: 0 },
  });
  all = [];
});
afterEach(async () => {
  for (const s of all) await s.stop();
  await vpp.close();
  await fake.stop();
});

function make(init: Partial<ServicesInit> = {}, logger = memoryLogger()): Services {
  const s = createServices({ ...INIT, ...init }, { vpp, logger });
  all.push(s);
  return s;
}

const svc = (name: string, ip: string, extra: Parameters<typeof makeService>[0] = {}): ReturnType<typeof makeService> =>
  makeService({ name, clusterIP: ip, clusterIPs: [ip], ...extra });
const slice = (service: string, ips: string[], node = 'node-b'): ReturnType<typeof makeSlice> =>
  makeSlice({ name: `${service}-1`, service, endpoints: ips.map((ip) => endpoint(ip, node)) });

describe('SNAT set-up', () => {
  it('sets the node addresses, policy K8S, and excludes node IPs, service CIDRs, pod pools and remote nodes', async () => {
    const s = make({ snat: { podCidrs: ['10.244.0.0/16'], remoteNodeAddresses: ['192.168.1.11', '192.168.1.12'] } });
    await s.start();
    expect(fake.state.cnatSnat).toMatchObject({ snat_ip4: '192.168.1.10', snat_ip6: 'fd00::10' });
    expect(fake.state.cnatSnatPolicy).toBe(CNAT_POLICY_K8S);
    expect([...fake.state.cnatSnatExcluded].sort()).toEqual(
      [
        '10.244.0.0/16',
        '10.96.0.0/12',
        '192.168.1.10/32',
        '192.168.1.11/32',
        '192.168.1.12/32',
        'fd00:96::/108',
        'fd00::10/128',
      ].sort(),
    );
    // the addresses come first: VPP's policy and exclusions act on the entry they create
    expect(Object.keys(s.vppCalls)[0]).toBe('cnat_set_snat_addresses_v2');
  });

  it('explicit SNAT addresses override the node’s', async () => {
    const s = make({ snat: { ip4: '192.168.1.99' } });
    await s.start();
    expect(fake.state.cnatSnat).toMatchObject({ snat_ip4: '192.168.1.99', snat_ip6: 'fd00::10' });
  });

  it('registers interfaces as pod and host, and removes them', async () => {
    const a = await vpp.call('create_loopback', { mac_address: '02:00:00:00:00:01' });
    const b = await vpp.call('create_loopback', { mac_address: '02:00:00:00:00:02' });
    const s = make({
      snat: {
        interfaces: [
          { swIfIndex: a.sw_if_index, role: 'pod' },
          { swIfIndex: a.sw_if_index, role: 'host' },
        ],
      },
    });
    await s.start();
    await s.registerInterface(b.sw_if_index, 'pod');
    expect([...(fake.state.cnatSnatInterfaces.get(CNAT_SNAT_TABLE.pod) ?? [])].sort()).toEqual(
      [a.sw_if_index, b.sw_if_index].sort(),
    );
    expect([...(fake.state.cnatSnatInterfaces.get(CNAT_SNAT_TABLE.host) ?? [])]).toEqual([a.sw_if_index]);
    await s.unregisterInterface(b.sw_if_index, 'pod');
    expect([...(fake.state.cnatSnatInterfaces.get(CNAT_SNAT_TABLE.pod) ?? [])]).toEqual([a.sw_if_index]);
  });

  it('an interface VPP does not know: typed error naming it, the rest stays', async () => {
    const s = make();
    await s.start();
    const err = await s.registerInterface(4242, 'pod').catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'SnatProgramError',
      code: 'SERVICES_SNAT_FAILED',
      messageName: 'cnat_snat_policy_add_del_if',
      subject: '4242/pod',
    });
    expect(fake.state.cnatSnatPolicy).toBe(CNAT_POLICY_K8S);
  });

  it('updateSnat changes exclusions by difference', async () => {
    const s = make({ snat: { podCidrs: ['10.244.0.0/16', '10.245.0.0/16'] } });
    await s.start();
    const before = { ...s.vppCalls };
    await s.updateSnat({ podCidrs: ['10.244.0.0/16', '10.246.0.0/16'] });
    expect(s.vppCalls.cnat_snat_policy_add_del_exclude_pfx).toBe(before.cnat_snat_policy_add_del_exclude_pfx! + 2);
    expect(fake.state.cnatSnatExcluded.has('10.245.0.0/16')).toBe(false);
    expect(fake.state.cnatSnatExcluded.has('10.246.0.0/16')).toBe(true);
  });

  it.each([
    { field: 'node.addresses[1]', init: { node: { name: 'n', addresses: ['192.168.1.10', '192.168.1'] } } },
    { field: 'serviceCidrs[0]', init: { serviceCidrs: ['10.96.0.0/33'] } },
    { field: 'serviceCidrs[0]', init: { serviceCidrs: ['10.96.0.0'] } },
    { field: 'snat.podCidrs[0]', init: { snat: { podCidrs: ['nope/8'] } } },
    { field: 'snat.remoteNodeAddresses[0]', init: { snat: { remoteNodeAddresses: ['1.2.3.4/32'] } } },
    { field: 'snat.ip4', init: { snat: { ip4: 'fd00::1' } } },
    { field: 'defaultLbType', init: { defaultLbType: 'random' } },
  ] as { field: string; init: Partial<ServicesInit> }[])(
    'bad config $field: ServicesConfigError naming the field',
    ({ field, init }) => {
      let err: unknown;
      try {
        make(init);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ name: 'ServicesConfigError', code: 'SERVICES_CONFIG', field });
    },
  );
});

describe('restart safety', () => {
  it('after a VPP restart everything is programmed again, SNAT included', async () => {
    const s = make();
    await s.start();
    s.upsertService(svc('a', '10.96.0.1'));
    s.upsertEndpointSlice(slice('a', ['10.244.1.1']));
    s.upsertService(svc('b', '10.96.0.2'));
    s.upsertEndpointSlice(slice('b', ['10.244.2.1']));
    await s.sync();
    const reconciled = new Promise<void>((resolve) =>
      s.addEventListener('sync:done', (e) => {
        if (e.detail.mode === 'reconcile') resolve();
      }),
    );
    await fake.restart();
    expect(fake.state.cnatTranslations.size).toBe(0);
    await reconciled;
    expect(await dumpBrief(vpp)).toEqual({
      'TCP/10.96.0.1/80': '10.244.1.1:8080',
      'TCP/10.96.0.2/80': '10.244.2.1:8080',
    });
    expect(fake.state.cnatSnatPolicy).toBe(CNAT_POLICY_K8S);
    expect(fake.state.cnatSnatExcluded.has('10.96.0.0/12')).toBe(true);
  });

  it('a reconnect to the same VPP (no restart) re-sends nothing', async () => {
    const s = make();
    await s.start();
    s.upsertService(svc('a', '10.96.0.1'));
    s.upsertEndpointSlice(slice('a', ['10.244.1.1']));
    await s.sync();
    const before = { ...s.vppCalls };
    const reconciled = new Promise<void>((resolve) =>
      s.addEventListener('sync:done', (e) => {
        if (e.detail.mode === 'reconcile') resolve();
      }),
    );
    fake.faults.dropConnections();
    await reconciled;
    expect(s.vppCalls).toEqual({
      ...before,
      cnat_get_snat_addresses: (before.cnat_get_snat_addresses ?? 0) + 1,
      cnat_translation_dump: before.cnat_translation_dump! + 1,
    });
  });

  it('changes made while VPP is away are applied once it is back', async () => {
    const s = make({ timeoutMs: 300, retryDelayMs: 20 });
    await s.start();
    s.upsertService(svc('a', '10.96.0.1'));
    s.upsertEndpointSlice(slice('a', ['10.244.1.1']));
    await s.sync();
    await fake.kill();
    s.upsertEndpointSlice(slice('a', ['10.244.1.1', '10.244.1.2']));
    const r = await s.sync();
    expect(r.failed.map((f) => [f.name, f.service])).toEqual([['TranslationProgramError', 'default/a']]);
    await fake.restart();
    await until(
      async () =>
        (await dumpBrief(vpp).catch((): Record<string, string> => ({})))['TCP/10.96.0.1/80'] ===
        '10.244.1.1:8080,10.244.1.2:8080',
    );
  });
});

describe('VPP errors', () => {
  it('an error on one translation names the Service; the others are programmed; it is retried', async () => {
    const s = make({ concurrency: 1, retryDelayMs: 20 });
    const errors: Error[] = [];
    s.addEventListener('services:error', (e) => errors.push(e.detail.error));
    await s.start();
    fake.faults.failNext('cnat_translation_update', -7, 1);
    s.upsertService(svc('a', '10.96.0.1'));
    s.upsertEndpointSlice(slice('a', ['10.244.1.1']));
    s.upsertService(svc('b', '10.96.0.2'));
    s.upsertEndpointSlice(slice('b', ['10.244.2.1']));
    const r = await s.sync();
    expect(r.failed).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      name: 'TranslationProgramError',
      code: 'SERVICES_TRANSLATION_FAILED',
      retval: -7,
      messageName: 'cnat_translation_update',
    });
    const failedKey = r.failed[0]!.key;
    expect(errors[0]!.message).toContain(`Service ${r.failed[0]!.service}`);
    const dumped = await dumpBrief(vpp);
    expect(Object.keys(dumped)).toHaveLength(1);
    expect(dumped[failedKey]).toBeUndefined();
    await until(async () => Object.keys(await dumpBrief(vpp)).length === 2);
  });
});

describe('bad input through the running services', () => {
  it('a slice naming a port the Service lacks: MissingPortError naming the slice and port; the rest is programmed', async () => {
    const logger = memoryLogger();
    const s = make({ snat: { enabled: false } }, logger);
    const errors: Error[] = [];
    s.addEventListener('services:error', (e) => errors.push(e.detail.error));
    await s.start();
    s.upsertService(svc('a', '10.96.0.1'));
    s.upsertEndpointSlice(
      makeSlice({
        name: 'a-1',
        service: 'a',
        endpoints: [endpoint('10.244.1.1')],
        ports: [
          { name: 'http', port: 8080 },
          { name: 'grpc', port: 9000 },
        ],
      }),
    );
    await s.sync();
    expect(await dumpBrief(vpp)).toEqual({ 'TCP/10.96.0.1/80': '10.244.1.1:8080' });
    expect(errors).toEqual([
      expect.objectContaining({
        name: 'MissingPortError',
        code: 'SERVICES_MISSING_PORT',
        port: 'grpc',
        object: { kind: 'EndpointSlice', namespace: 'default', name: 'a-1' },
      }),
    ]);
    expect(logger.lines.filter((l) => l.level === 'warn' && l.fields.code === 'UNKNOWN_SLICE_PORT')).toHaveLength(1);
  });

  it.each([
    { name: 'invalid IP', svc: svc('b', '10.96.0.999'), code: 'INVALID_IP' },
    {
      name: 'port out of range',
      svc: svc('b', '10.96.0.2', { ports: [{ name: 'http', port: 65536 }] }),
      code: 'INVALID_PORT',
    },
    {
      name: 'unknown protocol',
      svc: svc('b', '10.96.0.2', { ports: [{ name: 'http', protocol: 'QUIC', port: 443 }] }),
      code: 'UNKNOWN_PROTOCOL',
    },
    {
      name: 'unknown LB type',
      svc: svc('b', '10.96.0.2', { annotations: { 'cni.projectcalico.org/vppLBType': 'weighted' } }),
      code: 'UNKNOWN_LB_TYPE',
    },
  ])('$name: a typed error naming the Service, logged; the others are programmed', async ({ svc: bad, code }) => {
    const logger = memoryLogger();
    const s = make({ snat: { enabled: false } }, logger);
    const errors: Error[] = [];
    s.addEventListener('services:error', (e) => errors.push(e.detail.error));
    await s.start();
    s.upsertService(svc('a', '10.96.0.1'));
    s.upsertEndpointSlice(slice('a', ['10.244.1.1']));
    s.upsertService(bad);
    s.upsertEndpointSlice(slice('b', ['10.244.2.1']));
    await s.sync();
    expect(await dumpBrief(vpp)).toEqual({ 'TCP/10.96.0.1/80': '10.244.1.1:8080' });
    expect(errors).toEqual([
      expect.objectContaining({
        name: 'InvalidServiceError',
        object: { kind: 'Service', namespace: 'default', name: 'b' },
      }),
    ]);
    expect((errors[0] as unknown as { issues: { code: string }[] }).issues.map((i) => i.code)).toEqual([code]);
    expect(logger.lines.some((l) => l.level === 'error' && String(l.msg).includes('Service default/b'))).toBe(true);
  });
});

describe('VIP collisions', () => {
  const both = (order: 'ab' | 'ba', s: Services): void => {
    const a = svc('a', '10.96.0.1', { externalIPs: ['198.51.100.3'] });
    const b = svc('b', '10.96.0.2', { externalIPs: ['198.51.100.3'] });
    for (const x of order === 'ab' ? [a, b] : [b, a]) s.upsertService(x);
    s.upsertEndpointSlice(slice('a', ['10.244.1.1']));
    s.upsertEndpointSlice(slice('b', ['10.244.2.1']));
  };
  it.each(['ab', 'ba'] as const)(
    'are resolved the same way whatever the order (%s), logged, and handed over on delete',
    async (order) => {
      const logger = memoryLogger();
      const s = make({}, logger);
      const collisions: unknown[] = [];
      s.addEventListener('vip:collision', (e) => collisions.push(e.detail));
      await s.start();
      both(order, s);
      await s.sync();
      expect((await dumpBrief(vpp))['TCP/198.51.100.3/80']).toBe('10.244.1.1:8080');
      expect(collisions).toEqual([{ key: 'TCP/198.51.100.3/80', winner: 'default/a', losers: ['default/b'] }]);
      expect(logger.lines.some((l) => l.level === 'warn' && l.fields.key === 'TCP/198.51.100.3/80')).toBe(true);
      s.deleteService({ metadata: { name: 'a', namespace: 'default' } });
      expect(await s.sync()).toMatchObject({ updates: 1, deletes: 1 });
      expect((await dumpBrief(vpp))['TCP/198.51.100.3/80']).toBe('10.244.2.1:8080');
    },
  );
});

describe('announcements for BGP', () => {
  it('external and LB addresses: a snapshot, then changes; externalTrafficPolicy Local only with a local endpoint', async () => {
    const s = make();
    await s.start();
    s.upsertService(
      svc('lb', '10.96.0.5', {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        ports: [{ name: 'http', port: 80, nodePort: 30080 }],
        ingress: [{ ip: '203.0.113.7' }],
      }),
    );
    s.upsertService(svc('ext', '10.96.0.6', { externalIPs: ['198.51.100.3', '2001:db8::3'] }));
    s.upsertEndpointSlice(slice('ext', ['10.244.3.1']));
    s.upsertEndpointSlice(slice('lb', ['10.244.2.1'], 'node-b'));
    await s.sync();
    expect(s.announced()).toEqual(['198.51.100.3']);

    const ac = new AbortController();
    const seen: VipEvent[] = [];
    const reader = (async () => {
      for await (const e of s.announcements({ signal: ac.signal })) seen.push(e);
    })();
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual({ type: 'announce', address: '198.51.100.3', prefix: '198.51.100.3/32', family: 4 });

    // a local endpoint appears: the Local LB address is announced
    s.upsertEndpointSlice(
      makeSlice({
        name: 'lb-1',
        service: 'lb',
        endpoints: [endpoint('10.244.2.1', 'node-b'), endpoint('10.244.1.9', 'node-a')],
      }),
    );
    await s.sync();
    // it goes: withdrawn
    s.upsertEndpointSlice(slice('lb', ['10.244.2.1'], 'node-b'));
    await s.sync();
    // the other Service loses its endpoints: withdrawn
    s.upsertEndpointSlice(slice('ext', []));
    await s.sync();
    await until(() => seen.length === 4);
    ac.abort();
    await reader;
    expect(seen.map((e) => `${e.type} ${e.prefix}`)).toEqual([
      'announce 198.51.100.3/32',
      'announce 203.0.113.7/32',
      'withdraw 203.0.113.7/32',
      'withdraw 198.51.100.3/32',
    ]);
  });

  it('an address shared by two Services stays announced until both let go', async () => {
    const s = make();
    const events: string[] = [];
    s.addEventListener('vip:announce', (e) => events.push(`+${e.detail.address}`));
    s.addEventListener('vip:withdraw', (e) => events.push(`-${e.detail.address}`));
    await s.start();
    s.upsertService(svc('a', '10.96.0.1', { externalIPs: ['198.51.100.3'], ports: [{ name: 'http', port: 80 }] }));
    s.upsertService(svc('b', '10.96.0.2', { externalIPs: ['198.51.100.3'], ports: [{ name: 'http', port: 81 }] }));
    s.upsertEndpointSlice(
      makeSlice({
        name: 'a-1',
        service: 'a',
        endpoints: [endpoint('10.244.1.1')],
        ports: [{ name: 'http', port: 80 }],
      }),
    );
    s.upsertEndpointSlice(
      makeSlice({
        name: 'b-1',
        service: 'b',
        endpoints: [endpoint('10.244.1.2')],
        ports: [{ name: 'http', port: 81 }],
      }),
    );
    await s.sync();
    s.deleteService({ metadata: { name: 'a', namespace: 'default' } });
    await s.sync();
    expect(events).toEqual(['+198.51.100.3']);
    s.deleteService({ metadata: { name: 'b', namespace: 'default' } });
    await s.sync();
    expect(events).toEqual(['+198.51.100.3', '-198.51.100.3']);
  });

  it('the stream ends when the services stop', async () => {
    const s = make();
    await s.start();
    const it = s.announcements()[Symbol.asyncIterator]();
    const next = it.next();
    await s.stop();
    expect(await next).toEqual({ value: undefined, done: true });
  });
});

describe('lifecycle', () => {
  it('sync before start: ServicesNotRunningError', async () => {
    const s = make();
    await expect(s.sync()).rejects.toMatchObject({ name: 'ServicesNotRunningError', code: 'SERVICES_NOT_RUNNING' });
  });

  it('objects given before start are programmed by the first reconcile; ready() resolves after it', async () => {
    const s = make();
    s.upsertService(svc('a', '10.96.0.1'));
    s.upsertEndpointSlice(slice('a', ['10.244.1.1']));
    await s.start();
    await s.ready();
    expect(await dumpBrief(vpp)).toEqual({ 'TCP/10.96.0.1/80': '10.244.1.1:8080' });
    expect(s.programmed().map((t) => t.key)).toEqual(['TCP/10.96.0.1/80']);
  });

  it('stop leaves what is programmed in VPP', async () => {
    const s = make();
    await s.start();
    s.upsertService(svc('a', '10.96.0.1'));
    s.upsertEndpointSlice(slice('a', ['10.244.1.1']));
    await s.sync();
    await s.stop();
    expect(fake.state.cnatTranslations.size).toBe(1);
  });
});

describe('sources', () => {
  it('fed by @vectorplane/kube’s memory source: adds, changes and deletes follow', async () => {
    const source = createMemorySource({ objects: [svc('a', '10.96.0.1'), slice('a', ['10.244.1.1'])] });
    const s = createServices({ ...INIT, snat: { enabled: false } }, { vpp, source });
    all.push(s);
    await s.start();
    await s.ready({ signal: AbortSignal.timeout(5000) });
    expect(await dumpBrief(vpp)).toEqual({ 'TCP/10.96.0.1/80': '10.244.1.1:8080' });
    source.apply(slice('a', ['10.244.1.1', '10.244.1.2']));
    await until(async () => (await dumpBrief(vpp))['TCP/10.96.0.1/80'] === '10.244.1.1:8080,10.244.1.2:8080');
    source.delete('Service', 'a', 'default');
    await until(async () => Object.keys(await dumpBrief(vpp)).length === 0);
    await source.close();
  });

  it('a stream that ends is opened again; what its new list lacks is deleted', async () => {
    let round = 0;
    const source = {
      async *stream(kind: 'Service' | 'EndpointSlice', opts?: { signal?: AbortSignal }) {
        round++;
        const first = kind === 'Service' ? round <= 2 : round <= 2;
        if (kind === 'Service') {
          yield { type: 'added' as const, object: svc('a', '10.96.0.1') };
          if (first) yield { type: 'added' as const, object: svc('b', '10.96.0.2') };
        } else {
          yield { type: 'added' as const, object: slice('a', ['10.244.1.1']) };
          yield { type: 'added' as const, object: slice('b', ['10.244.2.1']) };
        }
        yield { type: 'synced' as const };
        if (first) return; // the stream ends: services opens it again
        await new Promise<void>((r) => opts?.signal?.addEventListener('abort', () => r(), { once: true }));
      },
    };
    const s = createServices({ ...INIT, snat: { enabled: false } }, { vpp, source });
    all.push(s);
    await s.start();
    await s.ready({ signal: AbortSignal.timeout(5000) });
    expect(Object.keys(await dumpBrief(vpp)).sort()).toEqual(['TCP/10.96.0.1/80', 'TCP/10.96.0.2/80']);
    await until(async () => Object.keys(await dumpBrief(vpp)).length === 1, 5000);
    expect(Object.keys(await dumpBrief(vpp))).toEqual(['TCP/10.96.0.1/80']);
  });

  it('error events of a source are reported and the stream goes on', async () => {
    const source = {
      async *stream(kind: 'Service' | 'EndpointSlice', opts?: { signal?: AbortSignal }) {
        if (kind === 'Service') {
          yield {
            type: 'error' as const,
            error: Object.assign(new Error('invalid Service default/broken: spec.ports: expected array'), {
              name: 'KubeInvalidObjectError',
            }),
          };
          yield { type: 'added' as const, object: svc('a', '10.96.0.1') };
        } else yield { type: 'added' as const, object: slice('a', ['10.244.1.1']) };
        yield { type: 'synced' as const };
        await new Promise<void>((r) => opts?.signal?.addEventListener('abort', () => r(), { once: true }));
      },
    };
    const s = createServices({ ...INIT, snat: { enabled: false } }, { vpp, source });
    all.push(s);
    const errors: Error[] = [];
    s.addEventListener('services:error', (e) => errors.push(e.detail.error));
    await s.start();
    await s.ready({ signal: AbortSignal.timeout(5000) });
    expect(await dumpBrief(vpp)).toEqual({ 'TCP/10.96.0.1/80': '10.244.1.1:8080' });
    expect(errors.map((e) => e.name)).toEqual(['KubeInvalidObjectError']);
  });
});

describe('node changes', () => {
  it('setNode moves NodePorts and the SNAT set-up to the new address, sending only what moved', async () => {
    const s = make({ node: { name: 'node-a', addresses: ['192.168.1.10'] } });
    await s.start();
    s.upsertService(svc('np', '10.96.0.1', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }));
    s.upsertEndpointSlice(slice('np', ['10.244.1.1']));
    s.upsertService(svc('c', '10.96.0.2'));
    s.upsertEndpointSlice(slice('c', ['10.244.2.1']));
    await s.sync();
    const before = { ...s.vppCalls };
    await s.setNode({ name: 'node-a', addresses: ['192.168.1.20'] });
    await s.sync();
    expect(s.vppCalls.cnat_translation_update).toBe(before.cnat_translation_update! + 1);
    expect(s.vppCalls.cnat_translation_del).toBe((before.cnat_translation_del ?? 0) + 1);
    expect(await dumpBrief(vpp)).toEqual({
      'TCP/10.96.0.1/80': '10.244.1.1:8080',
      'TCP/10.96.0.2/80': '10.244.2.1:8080',
      'TCP/192.168.1.20/30080': '10.244.1.1:8080<192.168.1.20',
    });
    expect(fake.state.cnatSnat.snat_ip4).toBe('192.168.1.20');
    expect(fake.state.cnatSnatExcluded.has('192.168.1.20/32')).toBe(true);
    expect(fake.state.cnatSnatExcluded.has('192.168.1.10/32')).toBe(false);
    expect(s.vppCalls.cnat_set_snat_addresses_v2).toBe(before.cnat_set_snat_addresses_v2! + 1);
  });

  it('setNode with a bad address: ServicesConfigError, nothing changes', async () => {
    const s = make();
    await s.start();
    await expect(s.setNode({ name: 'node-a', addresses: ['192.168.1.300'] })).rejects.toMatchObject({
      name: 'ServicesConfigError',
      field: 'node.addresses[0]',
    });
    expect(fake.state.cnatSnat.snat_ip4).toBe('192.168.1.10');
  });
});
