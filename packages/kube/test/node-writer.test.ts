import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CALICO_NODE_ANNOTATIONS,
  calicoNodeInfo,
  createApiServerSource,
  createMemorySource,
  publishNodeWireguard,
  type ApiServerSource,
  type Node,
  type ResourceEvent,
} from '../src/index.js';
import { kubeconfigFor, startTestApiServer, type TestApiServer } from '../src/testing/index.js';
import { iter, summary, take } from './helpers.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const KEY2 = Buffer.alloc(32, 9).toString('base64');
const A = CALICO_NODE_ANNOTATIONS;

const node = (name: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, annotations: { 'other.example/keep': 'yes', ...annotations } },
  spec: { podCIDR: '10.244.1.0/24' },
});

let server: TestApiServer;
let source: ApiServerSource;

beforeEach(async () => {
  server = await startTestApiServer({ bookmarkIntervalMs: 100, objects: [node('n1'), node('n2')] });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(server.url));
  source = createApiServerSource({ kubeConfig: kc, backoffInitialMs: 20, backoffMaxMs: 200 });
});
afterEach(async () => {
  await source.close();
  await server.close();
});

const patches = () => server.requests.filter((r) => r.method === 'PATCH');
const annotations = (name: string) =>
  (server.get('v1', 'Node', name)?.['metadata'] as { annotations?: Record<string, string> }).annotations;

describe('publishNodeWireguard', () => {
  it('merge-patches the key and inner address onto the Node; the watch and calicoNodeInfo see them', async () => {
    const it = iter(source.stream('Node', { fieldSelector: 'metadata.name=n1' }));
    expect(summary(await take(it, (e) => e.type === 'synced'))).toBe('added:n1 synced');

    const res = await publishNodeWireguard(source, 'n1', { publicKey: KEY, interfaceIPv4Address: '10.244.1.0' });
    expect(res.changed).toEqual({ [A.wireguardPublicKey]: KEY, [A.ipv4WireguardInterfaceAddr]: '10.244.1.0' });
    expect(patches()).toEqual([
      expect.objectContaining({ path: '/api/v1/nodes/n1', status: 200, contentType: 'application/merge-patch+json' }),
    ]);
    // other annotations stay; the other node is untouched
    expect(annotations('n1')).toEqual({
      'other.example/keep': 'yes',
      [A.wireguardPublicKey]: KEY,
      [A.ipv4WireguardInterfaceAddr]: '10.244.1.0',
    });
    expect(annotations('n2')).toEqual({ 'other.example/keep': 'yes' });

    const [ev] = (await take(it, () => true)) as ResourceEvent<Node>[];
    expect(ev?.type).toBe('modified');
    const info = calicoNodeInfo((ev as { object: Node }).object);
    expect(info.wireguardPublicKey).toBe(KEY);
    expect(info.wireguardInterfaceIPv4Address).toBe('10.244.1.0');
  });

  it('writes nothing when the Node already has the values, and only what differs otherwise', async () => {
    await publishNodeWireguard(source, 'n1', { publicKey: KEY, interfaceIPv4Address: '10.244.1.0' });
    const rv = server.resourceVersion;
    expect(
      (await publishNodeWireguard(source, 'n1', { publicKey: KEY, interfaceIPv4Address: '10.244.1.0' })).changed,
    ).toEqual({});
    expect(patches()).toHaveLength(1);
    expect(server.resourceVersion).toBe(rv);

    const res = await publishNodeWireguard(source, 'n1', { publicKey: KEY2, interfaceIPv4Address: '10.244.1.0' });
    expect(res.changed).toEqual({ [A.wireguardPublicKey]: KEY2 });
    expect(patches()).toHaveLength(2);
    expect(annotations('n1')?.[A.wireguardPublicKey]).toBe(KEY2);
  });

  it('publishes the key alone when no inner address is given', async () => {
    await publishNodeWireguard(source, 'n2', { publicKey: KEY });
    expect(annotations('n2')).toEqual({ 'other.example/keep': 'yes', [A.wireguardPublicKey]: KEY });
  });

  it('rejects a bad key or address with KubeInvalidValueError naming node and field, sending nothing', async () => {
    await expect(publishNodeWireguard(source, 'n1', { publicKey: 'not-a-key' })).rejects.toMatchObject({
      name: 'KubeInvalidValueError',
      code: 'KUBE_INVALID_VALUE',
      node: 'n1',
      field: `metadata.annotations[${A.wireguardPublicKey}]`,
      value: 'not-a-key',
    });
    await expect(
      publishNodeWireguard(source, 'n1', { publicKey: Buffer.alloc(31).toString('base64') }),
    ).rejects.toMatchObject({ name: 'KubeInvalidValueError' });
    await expect(
      publishNodeWireguard(source, 'n1', { publicKey: KEY, interfaceIPv4Address: '10.244.1.0/32' }),
    ).rejects.toMatchObject({
      name: 'KubeInvalidValueError',
      node: 'n1',
      field: `metadata.annotations[${A.ipv4WireguardInterfaceAddr}]`,
      value: '10.244.1.0/32',
    });
    expect(server.requests.filter((r) => r.path.startsWith('/api/v1/nodes/'))).toEqual([]);
  });

  it('publishes the IPv6 key and address beside the IPv4 ones, and removes what is set to null', async () => {
    const res = await publishNodeWireguard(source, 'n1', {
      publicKey: KEY,
      publicKeyV6: KEY2,
      interfaceIPv4Address: '10.244.1.0',
      interfaceIPv6Address: 'fd00:244:1::',
    });
    expect(Object.keys(res.changed)).toHaveLength(4);
    const info = calicoNodeInfo(server.get('v1', 'Node', 'n1') as unknown as Node);
    expect(info.wireguardPublicKeyV6).toBe(KEY2);
    expect(info.wireguardInterfaceIPv6Address).toBe('fd00:244:1::');
    // WireGuard off for IPv6: both v6 annotations go, the v4 ones stay
    const off = await publishNodeWireguard(source, 'n1', { publicKeyV6: null, interfaceIPv6Address: null });
    expect(off.changed).toEqual({ [A.wireguardPublicKeyV6]: null, [A.ipv6WireguardInterfaceAddr]: null });
    expect(annotations('n1')).toEqual({
      'other.example/keep': 'yes',
      [A.wireguardPublicKey]: KEY,
      [A.ipv4WireguardInterfaceAddr]: '10.244.1.0',
    });
    // removing what is already absent writes nothing
    const before = patches().length;
    expect((await publishNodeWireguard(source, 'n1', { publicKeyV6: null })).changed).toEqual({});
    expect(patches()).toHaveLength(before);
    await expect(
      publishNodeWireguard(source, 'n1', { publicKey: KEY, interfaceIPv6Address: '10.244.1.0' }),
    ).rejects.toMatchObject({
      name: 'KubeInvalidValueError',
      field: `metadata.annotations[${A.ipv6WireguardInterfaceAddr}]`,
    });
  });

  it('rejects with KubeApiError (404) for a Node that does not exist', async () => {
    await expect(publishNodeWireguard(source, 'nope', { publicKey: KEY })).rejects.toMatchObject({
      name: 'KubeApiError',
      status: 404,
      path: '/api/v1/nodes/nope',
    });
    expect(patches()).toEqual([]);
  });

  it('rejects with KubeApiError when the patch is refused (403)', async () => {
    server.failNext(1, 403, (method) => method === 'PATCH');
    await expect(publishNodeWireguard(source, 'n1', { publicKey: KEY })).rejects.toMatchObject({
      name: 'KubeApiError',
      status: 403,
      path: '/api/v1/nodes/n1',
    });
    expect(annotations('n1')?.[A.wireguardPublicKey]).toBeUndefined();
  });

  it('rejects with KubeReadOnlyError for a folder or memory source', async () => {
    const mem = createMemorySource({ objects: [node('n1')] });
    await expect(
      publishNodeWireguard(mem, 'n1', { publicKey: KEY, interfaceIPv4Address: '10.244.1.0' }),
    ).rejects.toMatchObject({
      name: 'KubeReadOnlyError',
      code: 'KUBE_READ_ONLY',
      node: 'n1',
      field: `metadata.annotations[${A.wireguardPublicKey}], metadata.annotations[${A.ipv4WireguardInterfaceAddr}]`,
    });
    await mem.close();
  });
});

describe('test API server merge patch', () => {
  it('merges annotations, deletes on null, and a no-op patch writes nothing', async () => {
    const patch = (body: unknown) =>
      fetch(`${server.url}/api/v1/nodes/n1`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify(body),
      });
    let r = await patch({ metadata: { annotations: { a: '1' } } });
    expect(r.status).toBe(200);
    expect(annotations('n1')).toEqual({ 'other.example/keep': 'yes', a: '1' });
    const rv = server.resourceVersion;
    r = await patch({ metadata: { annotations: { a: '1' } } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion).toBe(rv);
    expect(server.resourceVersion).toBe(rv);
    r = await patch({ metadata: { annotations: { 'other.example/keep': null } } });
    expect(r.status).toBe(200);
    expect(annotations('n1')).toEqual({ a: '1' });
  });
});
