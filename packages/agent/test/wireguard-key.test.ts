// Our WireGuard public key published on our Node (Calico's projectcalico.org/WireguardPublicKey) through kube's
// test API server: when FelixConfiguration turns WireGuard on, again when the Node loses it, never in a loop.
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateWireguardKeyPair } from '@vectorplane/bgp';
import { createApiServerSource, createMemorySource, type ApiServerSource } from '@vectorplane/kube';
import { kubeconfigFor, startTestApiServer, type TestApiServer } from '@vectorplane/kube/testing';
import { publishWireguardKey } from '../src/compose.js';

const KEY_ANN = 'projectcalico.org/WireguardPublicKey';
const ADDR_ANN = 'projectcalico.org/IPv4WireguardInterfaceAddr';
const KEY6_ANN = 'projectcalico.org/WireguardPublicKeyV6';
const { publicKey } = generateWireguardKeyPair();
const { publicKey: publicKeyV6 } = generateWireguardKeyPair();

const nodeA = (annotations: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-a', annotations: { 'projectcalico.org/IPv4Address': '198.18.0.11/24', ...annotations } },
});
const felix = (wireguardEnabled: boolean, wireguardEnabledV6 = false) => ({
  apiVersion: 'crd.projectcalico.org/v1',
  kind: 'FelixConfiguration',
  metadata: { name: 'default' },
  spec: { wireguardEnabled, wireguardEnabledV6 },
});

const until = async (what: string, f: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

let server: TestApiServer;
let source: ApiServerSource;
let stop: AbortController;
let running: Promise<void>;
const logs: { level: string; msg: string }[] = [];
const logger = {
  info: (_o: unknown, msg: string) => void logs.push({ level: 'info', msg }),
  warn: (_o: unknown, msg: string) => void logs.push({ level: 'warn', msg }),
} as never;

const annotations = () =>
  (server.get('v1', 'Node', 'node-a')?.['metadata'] as { annotations?: Record<string, string> }).annotations ?? {};
const patches = () => server.requests.filter((r) => r.method === 'PATCH').length;

beforeEach(async () => {
  logs.length = 0;
  server = await startTestApiServer({ bookmarkIntervalMs: 100, objects: [nodeA(), felix(false)] });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(server.url));
  source = createApiServerSource({ kubeConfig: kc, backoffInitialMs: 20, backoffMaxMs: 200 });
  stop = new AbortController();
});
afterEach(async () => {
  stop.abort();
  await running;
  await source.close();
  await server.close();
});

describe('publishWireguardKey', () => {
  it('publishes when WireGuard turns on, again when the Node loses it, and not otherwise', async () => {
    running = publishWireguardKey(
      { source, nodeName: 'node-a', publicKey, interfaceIPv4Address: '10.244.1.0', logger },
      stop.signal,
    );
    await until('both watches', () => server.watchCount === 2);
    expect(patches()).toBe(0); // WireGuard off: nothing written
    server.put(felix(true));
    await until('the key on the Node', () => annotations()[KEY_ANN] === publicKey);
    expect(annotations()).toMatchObject({ [KEY_ANN]: publicKey, [ADDR_ANN]: '10.244.1.0' });
    expect(patches()).toBe(1);

    // other changes to the Node (its watch shows them) cost no request
    server.touch('v1', 'Node');
    server.touch('v1', 'Node');
    await new Promise((r) => setTimeout(r, 300));
    expect(patches()).toBe(1);

    // the Node lost the annotations (replaced): published again
    server.put(nodeA());
    await until('the key back on the Node', () => annotations()[KEY_ANN] === publicKey);
    expect(annotations()[ADDR_ANN]).toBe('10.244.1.0');
    expect(patches()).toBe(2);
  });

  it('IPv6 has its own key, published while wireguardEnabledV6; turning a family off removes what we put there', async () => {
    running = publishWireguardKey(
      { source, nodeName: 'node-a', publicKey, publicKeyV6, interfaceIPv4Address: '10.244.1.0', logger },
      stop.signal,
    );
    await until('both watches', () => server.watchCount === 2);
    server.put(felix(true, true));
    await until('both keys on the Node', () => annotations()[KEY6_ANN] === publicKeyV6);
    expect(annotations()).toMatchObject({ [KEY_ANN]: publicKey, [ADDR_ANN]: '10.244.1.0' });
    server.put(felix(true, false));
    await until('the IPv6 key gone', () => annotations()[KEY6_ANN] === undefined);
    expect(annotations()[KEY_ANN]).toBe(publicKey);
    server.put(felix(false, false));
    await until('the IPv4 key gone', () => annotations()[KEY_ANN] === undefined);
    // the inner address we published goes with the key; Calico's own annotations stay
    expect(annotations()).toEqual({ 'projectcalico.org/IPv4Address': '198.18.0.11/24' });
    const n = patches();
    server.touch('v1', 'Node');
    await new Promise((r) => setTimeout(r, 300));
    expect(patches()).toBe(n); // off and absent: nothing more to write
  });

  it('a key left on the Node while WireGuard is off (an earlier run) is removed once both watches have listed', async () => {
    server.put(nodeA({ [KEY_ANN]: publicKey, [KEY6_ANN]: publicKeyV6, [ADDR_ANN]: '10.244.9.9' }));
    running = publishWireguardKey({ source, nodeName: 'node-a', publicKey, publicKeyV6, logger }, stop.signal);
    await until('the keys gone', () => annotations()[KEY_ANN] === undefined && annotations()[KEY6_ANN] === undefined);
    // an inner address we were not given is not ours to remove (Calico's IPAM owns it)
    expect(annotations()[ADDR_ANN]).toBe('10.244.9.9');
    expect(patches()).toBe(1);
  });

  it('logs a failed publish and retries; never throws', async () => {
    server.put(felix(true));
    server.failNext(2, 500, (method) => method === 'PATCH');
    running = publishWireguardKey({ source, nodeName: 'node-a', publicKey, logger, retryMs: 50 }, stop.signal);
    await until('the key on the Node', () => annotations()[KEY_ANN] === publicKey);
    expect(annotations()[ADDR_ANN]).toBeUndefined();
    expect(logs.filter((l) => l.level === 'warn' && /failed: retrying/.test(l.msg))).toHaveLength(2);
  });

  it('with a read-only source: says so once and writes nothing', async () => {
    const mem = createMemorySource({ objects: [nodeA(), felix(true)] });
    const ctl = new AbortController();
    const done = publishWireguardKey({ source: mem, nodeName: 'node-a', publicKey, logger }, ctl.signal);
    await until('the log line', () => logs.some((l) => /read-only/.test(l.msg)));
    mem.apply(nodeA({ unrelated: 'x' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(logs.filter((l) => /read-only/.test(l.msg))).toHaveLength(1);
    ctl.abort();
    await done;
    await mem.close();
    running = Promise.resolve();
  });
});
