import { createMemorySource, type MemorySource } from '@vectorplane/kube';
import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBgpController, type BgpController } from '../src/controller.js';
import type { BgpPath } from '../src/paths.js';
import type { BgpSpeaker, BgpWatchEvent } from '../src/speaker.js';

/** A speaker that only streams what the test pushes (no daemon). */
function scriptedSpeaker(): BgpSpeaker & { push(ev: BgpWatchEvent): void; announced: Set<string> } {
  const announced = new Set<string>();
  const queue: BgpWatchEvent[] = [{ type: 'snapshot', paths: [] }];
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sp = Object.assign(new EventTarget(), {
    global: { asn: 64512, routerId: '10.98.1.1', listenAddresses: ['10.98.1.1'] },
    async start() {},
    async stop() {},
    async addPeer() {},
    async updatePeer() {},
    async deletePeer() {},
    async peers() {
      return [];
    },
    async setPolicy() {},
    async deletePolicy() {},
    announced,
    async announce(a: { prefix: string }) {
      announced.add(a.prefix);
    },
    async withdraw(prefix: string) {
      announced.delete(prefix);
    },
    async bestPaths() {
      return [];
    },
    watch(options: { signal?: AbortSignal } = {}): AsyncIterable<BgpWatchEvent> {
      const signal = options.signal;
      return {
        async *[Symbol.asyncIterator]() {
          signal?.addEventListener('abort', notify, { once: true });
          while (!signal?.aborted) {
            while (queue.length) yield queue.shift()!;
            await new Promise<void>((r) => (wake = r));
          }
        },
      };
    },
    push(ev: BgpWatchEvent) {
      queue.push(ev);
      notify();
    },
  });
  return sp as unknown as BgpSpeaker & { push(ev: BgpWatchEvent): void; announced: Set<string> };
}

function path(prefix: string, nextHop: string, withdrawn = false): BgpPath {
  return {
    prefix,
    family: 'ipv4',
    nextHop,
    withdrawn,
    neighbor: '10.98.1.2',
    local: false,
    sourceAsn: 65001,
    sourceId: '10.98.1.2',
    asPath: [65001],
    communities: [],
    originatorId: undefined,
    clusterList: [],
  };
}

async function fib(vpp: VppClient<VppApi>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const d of vpp.dump('ip_route_v2_dump', { src: 0, table: { table_id: 0, is_ip6: false, name: '' } })) {
    const r = d.route as unknown as { prefix: string; paths: { nh: { address: { ip4?: string } } }[] };
    if (r.prefix.startsWith('10.244.')) out.set(r.prefix, r.paths[0]?.nh.address.ip4 ?? '');
  }
  return out;
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('bgp controller: learned routes → VPP', () => {
  let fake: FakeVpp;
  let vpp: VppClient<VppApi>;
  let source: MemorySource;
  let speaker: ReturnType<typeof scriptedSpeaker>;
  let controller: BgpController;
  let routeCalls: number;
  let counted: EventTarget;

  beforeEach(async () => {
    fake = await startFakeVpp();
    vpp = await connectVpp({
      socket: fake.socketPath,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50, healthIntervalMs: 0 },
    });
    const uplink = (await vpp.call('create_loopback', { mac_address: '02:00:00:00:0e:01' })).sw_if_index;
    await vpp.call('sw_interface_add_del_address', { sw_if_index: uplink, is_add: true, prefix: '10.98.1.1/24' });
    // count the route requests the controller sends
    routeCalls = 0;
    // (an EventTarget like the client, so that a test can say when VPP is back)
    counted = Object.assign(new EventTarget(), {
      call: ((name: string, req: unknown, o: unknown) => {
        if (name === 'ip_route_add_del') routeCalls++;
        return (vpp.call as (n: string, r: unknown, o: unknown) => Promise<unknown>)(name, req, o);
      }) as VppClient<VppApi>['call'],
      dump: vpp.dump.bind(vpp),
    });
    source = createMemorySource();
    source.apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'us', annotations: { 'projectcalico.org/IPv4Address': '10.98.1.1/24' } },
    });
    source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'pods' },
      spec: { cidr: '10.244.0.0/16' },
    });
    speaker = scriptedSpeaker();
    controller = createBgpController(
      { nodeName: 'us', uplinkSwIfIndex: uplink, speaker: () => speaker },
      { vpp: counted as never, source },
    );
    await controller.start();
  });
  afterEach(async () => {
    await controller.stop();
    await source.close();
    await vpp.close();
    await fake.stop();
  });

  it('after a VPP restart (vpp:up, reconnected) the learned routes are programmed again', async () => {
    speaker.push({ type: 'paths', paths: [path('10.244.7.0/26', '10.98.1.2')] });
    await until(() => routeCalls >= 1);
    expect((await fib(vpp)).get('10.244.7.0/26')).toBe('10.98.1.2');
    const back = new Promise<void>((r) => vpp.addEventListener('vpp:up', () => r(), { once: true }));
    await fake.restart();
    await back;
    expect((await fib(vpp)).has('10.244.7.0/26')).toBe(false);
    // what vpp-manager does after a restart: the uplink again (a fresh VPP gives it the same index)
    const uplink = (await vpp.call('create_loopback', { mac_address: '02:00:00:00:0e:01' })).sw_if_index;
    await vpp.call('sw_interface_add_del_address', { sw_if_index: uplink, is_add: true, prefix: '10.98.1.1/24' });
    counted.dispatchEvent(new CustomEvent('vpp:up', { detail: { reconnected: true } }));
    await controller.idle();
    await until(() => routeCalls >= 2);
    await controller.idle();
    expect((await fib(vpp)).get('10.244.7.0/26')).toBe('10.98.1.2');
  });

  it("announces the blocks Calico IPAM confirmed for this node (BlockAffinity), not others' nor pending ones", async () => {
    const affinity = (name: string, node: string, cidr: string, state: string, deleted = 'false') =>
      source.apply({
        apiVersion: 'crd.projectcalico.org/v1',
        kind: 'BlockAffinity',
        metadata: { name },
        spec: { node, cidr, state, deleted },
      });
    affinity('us-1', 'us', '10.244.1.0/26', 'confirmed');
    affinity('us-2', 'us', '10.244.1.64/26', 'pending');
    affinity('them-1', 'them', '10.244.2.0/26', 'confirmed');
    await until(() => speaker.announced.has('10.244.1.0/26'));
    await controller.idle();
    expect([...speaker.announced].filter((p) => p.startsWith('10.244.'))).toEqual(['10.244.1.0/26']);
    affinity('us-2', 'us', '10.244.1.64/26', 'confirmed');
    await until(() => speaker.announced.has('10.244.1.64/26'));
    // released by IPAM (deleted, then gone): withdrawn
    affinity('us-1', 'us', '10.244.1.0/26', 'confirmed', 'true');
    await until(() => !speaker.announced.has('10.244.1.0/26'));
    source.delete('BlockAffinity', 'us-2');
    await until(() => !speaker.announced.has('10.244.1.64/26'));
  });

  it("with usePodCIDR (Calico's USE_POD_CIDR) the Node's podCIDRs are announced as blocks, and follow the Node", async () => {
    const sp = scriptedSpeaker();
    const c = createBgpController(
      { nodeName: 'us', uplinkSwIfIndex: 0, usePodCIDR: true, speaker: () => sp },
      { vpp: counted as never, source },
    );
    const node = (cidrs: string[]) =>
      source.apply({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'us', annotations: { 'projectcalico.org/IPv4Address': '10.98.1.1/24' } },
        spec: { podCIDRs: cidrs },
      });
    node(['10.244.5.0/24']);
    await c.start();
    try {
      await until(() => sp.announced.has('10.244.5.0/24'));
      node(['10.244.6.0/24']);
      await until(() => sp.announced.has('10.244.6.0/24') && !sp.announced.has('10.244.5.0/24'));
      // the controller without it (beforeEach) announces no pod CIDR
      await controller.idle();
      expect([...speaker.announced].filter((p) => p.startsWith('10.244.'))).toEqual([]);
    } finally {
      await c.stop();
    }
  });

  it('a prefix announced and withdrawn in one burst costs nothing in VPP', async () => {
    const calls0 = routeCalls;
    speaker.push({
      type: 'paths',
      paths: [path('10.244.1.0/26', '10.98.1.2'), path('10.244.1.0/26', '10.98.1.2', true)],
    });
    await until(() => controller.stats.paths === 2);
    await controller.idle();
    expect(routeCalls - calls0).toBe(0);
    expect((await fib(vpp)).has('10.244.1.0/26')).toBe(false);
    expect(controller.stats).toMatchObject({ paths: 2, learned: 0 });
  });

  it('a next hop that changes within a burst is programmed once, with the last one', async () => {
    const calls0 = routeCalls;
    speaker.push({
      type: 'paths',
      paths: [
        path('10.244.2.0/26', '10.98.1.2'),
        path('10.244.2.0/26', '10.98.1.3'),
        path('10.244.2.0/26', '10.98.1.4'),
      ],
    });
    await until(() => controller.programmer.stats.routes === 1);
    await controller.idle();
    expect(routeCalls - calls0).toBe(1);
    expect((await fib(vpp)).get('10.244.2.0/26')).toBe('10.98.1.4');
    expect(controller.programmer.routes()).toEqual([
      { prefix: '10.244.2.0/26', nextHop: '10.98.1.4', provider: 'flat' },
    ]);
  });

  it('a large burst lands in VPP as its final state, whatever arrives while the pipeline is busy', async () => {
    const n = 3000;
    const pfx = (i: number) => `10.244.${i >> 4}.${(i & 15) << 4}/28`;
    // announce all; while those are on the wire, withdraw the even ones and move the multiples of 3
    speaker.push({ type: 'paths', paths: Array.from({ length: n }, (_, i) => path(pfx(i), '10.98.1.2')) });
    await until(() => controller.stats.paths >= n);
    const second: BgpPath[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) second.push(path(pfx(i), '10.98.1.2', true));
      else if (i % 3 === 0) second.push(path(pfx(i), '10.98.1.5'));
    }
    speaker.push({ type: 'paths', paths: second });
    await until(() => controller.stats.paths >= n + second.length);
    await controller.idle();
    const want = new Map<string, string>();
    for (let i = 1; i < n; i += 2) want.set(pfx(i), i % 3 === 0 ? '10.98.1.5' : '10.98.1.2');
    expect(await fib(vpp)).toEqual(want);
    expect(controller.programmer.stats.routes).toBe(want.size);
    // the coalescing: never more route requests than changes received
    expect(routeCalls).toBeLessThanOrEqual(n + second.length);
  });

  it('withdrawals of every route leave VPP empty of them, and route:delete names each', async () => {
    const deleted: string[] = [];
    controller.addEventListener('route:delete', (e) =>
      deleted.push((e as CustomEvent<{ prefix: string }>).detail.prefix),
    );
    const prefixes = Array.from({ length: 200 }, (_, i) => `10.244.${i}.0/24`);
    speaker.push({ type: 'paths', paths: prefixes.map((p) => path(p, '10.98.1.2')) });
    await until(() => controller.programmer.stats.routes === 200);
    speaker.push({ type: 'paths', paths: prefixes.map((p) => path(p, '10.98.1.2', true)) });
    await until(() => controller.programmer.stats.routes === 0);
    await controller.idle();
    expect((await fib(vpp)).size).toBe(0);
    expect(deleted.sort()).toEqual([...prefixes].sort());
  });
});
