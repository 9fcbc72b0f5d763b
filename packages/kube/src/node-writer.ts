/**
 * The one write this package makes: this node's WireGuard public key (and inner address) published on its
 * core/v1 Node as Calico's Kubernetes datastore keeps them, annotations set by a JSON merge patch. Only the
 * annotations that differ are sent, so publishing the same values again writes nothing (no write loop with a
 * watch of the Node).
 */
import { isIPv4 } from 'node:net';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { apiError, type ApiServerSource } from './apiserver-source.js';
import { CALICO_NODE_ANNOTATIONS } from './calico-node.js';
import { KubeInvalidValueError, KubeReadOnlyError } from './errors.js';
import type { ResourceSource } from './types.js';

/** What {@link publishNodeWireguard} puts on the Node. */
export interface NodeWireguardInfo {
  /** The public key, base64 of 32 bytes (as `wg pubkey` prints it). */
  publicKey: string;
  /** The node's address on its WireGuard interface, a bare IPv4 address (Calico stores no prefix length). */
  interfaceIPv4Address?: string;
}

export interface PublishNodeWireguardResult {
  /** The annotations that were sent (empty when the Node already had every value: nothing was written). */
  changed: Record<string, string>;
}

function isWireguardKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(key) && Buffer.from(key, 'base64').length === 32;
}

/**
 * Publish this node's WireGuard public key (`projectcalico.org/WireguardPublicKey`) and, when given, its inner
 * address (`projectcalico.org/IPv4WireguardInterfaceAddr`) on the Node named `nodeName`: read the Node, then
 * JSON-merge-patch `metadata.annotations` with the values that differ. Other annotations are left alone.
 *
 * Only an API-server source can write. A folder or memory source rejects with KubeReadOnlyError (standalone nodes
 * carry these annotations in their Node manifest, where every other node reads them).
 *
 * @throws KubeInvalidValueError a malformed key or address (nothing sent)
 * @throws KubeReadOnlyError the source is not an API server
 * @throws KubeApiError the read or the patch failed (404: no such Node; 403: no `patch` on nodes)
 */
export async function publishNodeWireguard(
  source: ResourceSource,
  nodeName: string,
  info: NodeWireguardInfo,
  opts: { signal?: AbortSignal } = {},
): Promise<PublishNodeWireguardResult> {
  const A = CALICO_NODE_ANNOTATIONS;
  if (typeof info.publicKey !== 'string' || !isWireguardKey(info.publicKey))
    throw new KubeInvalidValueError({
      node: nodeName,
      field: `metadata.annotations[${A.wireguardPublicKey}]`,
      value: info.publicKey,
      message: 'not a WireGuard public key (base64 of 32 bytes)',
    });
  if (info.interfaceIPv4Address !== undefined && !isIPv4(info.interfaceIPv4Address))
    throw new KubeInvalidValueError({
      node: nodeName,
      field: `metadata.annotations[${A.ipv4WireguardInterfaceAddr}]`,
      value: info.interfaceIPv4Address,
      message: 'not an IPv4 address (no prefix length)',
    });
  const want: Record<string, string> = { [A.wireguardPublicKey]: info.publicKey };
  if (info.interfaceIPv4Address !== undefined) want[A.ipv4WireguardInterfaceAddr] = info.interfaceIPv4Address;

  const kc = (source as Partial<ApiServerSource>).kubeConfig;
  if (kc === undefined || typeof kc.makeApiClient !== 'function')
    throw new KubeReadOnlyError({
      node: nodeName,
      field: Object.keys(want)
        .map((k) => `metadata.annotations[${k}]`)
        .join(', '),
      source: 'folder/memory',
    });

  const path = `/api/v1/nodes/${nodeName}`;
  const api = kc.makeApiClient(CoreV1Api);
  opts.signal?.throwIfAborted();
  let have: Record<string, string>;
  try {
    have = (await api.readNode({ name: nodeName })).metadata?.annotations ?? {};
  } catch (err) {
    throw apiError(path, err);
  }
  const changed: Record<string, string> = {};
  for (const [k, v] of Object.entries(want)) if (have[k] !== v) changed[k] = v;
  if (Object.keys(changed).length === 0) return { changed };
  opts.signal?.throwIfAborted();
  try {
    await api.patchNode(
      { name: nodeName, body: { metadata: { annotations: changed } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  } catch (err) {
    throw apiError(path, err);
  }
  return { changed };
}
