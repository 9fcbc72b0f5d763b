/**
 * The one write this package makes: this node's WireGuard public keys (and inner addresses) published on, or
 * removed from, its core/v1 Node as Calico's Kubernetes datastore keeps them: annotations set by a JSON merge
 * patch. Only the
 * annotations that differ are sent, so publishing the same values again writes nothing (no write loop with a
 * watch of the Node).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { apiError, type ApiServerSource } from './apiserver-source.js';
import { CALICO_NODE_ANNOTATIONS } from './calico-node.js';
import { KubeInvalidValueError, KubeReadOnlyError } from './errors.js';
import type { ResourceSource } from './types.js';

/**
 * What {@link publishNodeWireguard} puts on the Node. Each field: a value to set, `null` to remove the annotation
 * (WireGuard turned off for that family, as Calico clears the key), or absent to leave it as it is.
 */
export interface NodeWireguardInfo {
  /** The public key of the IPv4 device, base64 of 32 bytes (as `wg pubkey` prints it). */
  publicKey?: string | null;
  /** The public key of the IPv6 device (Calico keeps a separate key for IPv6). */
  publicKeyV6?: string | null;
  /** The node's address on its IPv4 WireGuard interface, a bare IPv4 address (Calico stores no prefix length). */
  interfaceIPv4Address?: string | null;
  /** The node's address on its IPv6 WireGuard interface, a bare IPv6 address. */
  interfaceIPv6Address?: string | null;
}

export interface PublishNodeWireguardResult {
  /**
   * The annotations that were sent, `null` for a removal (empty when the Node already had every value: nothing
   * was written).
   */
  changed: Record<string, string | null>;
}

function isWireguardKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(key) && Buffer.from(key, 'base64').length === 32;
}

/**
 * Publish this node's WireGuard public keys (`projectcalico.org/WireguardPublicKey`, `…/WireguardPublicKeyV6`)
 * and inner addresses (`projectcalico.org/IPv4WireguardInterfaceAddr`, `…/IPv6WireguardInterfaceAddr`) on the
 * Node named `nodeName`, or remove them (`null`): read the Node, then JSON-merge-patch `metadata.annotations`
 * with the values that differ. Other annotations are left alone.
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
  const fields: [keyof NodeWireguardInfo, string, (v: string) => boolean, string][] = [
    ['publicKey', A.wireguardPublicKey, isWireguardKey, 'not a WireGuard public key (base64 of 32 bytes)'],
    ['publicKeyV6', A.wireguardPublicKeyV6, isWireguardKey, 'not a WireGuard public key (base64 of 32 bytes)'],
    ['interfaceIPv4Address', A.ipv4WireguardInterfaceAddr, isIPv4, 'not an IPv4 address (no prefix length)'],
    ['interfaceIPv6Address', A.ipv6WireguardInterfaceAddr, isIPv6, 'not an IPv6 address (no prefix length)'],
  ];
  const want: Record<string, string | null> = {};
  for (const [field, annotation, valid, message] of fields) {
    const v = info[field];
    if (v === undefined) continue;
    if (v !== null && (typeof v !== 'string' || !valid(v)))
      throw new KubeInvalidValueError({
        node: nodeName,
        field: `metadata.annotations[${annotation}]`,
        value: v,
        message,
      });
    want[annotation] = v;
  }
  if (Object.keys(want).length === 0) return { changed: {} };

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
  const changed: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(want)) if ((have[k] ?? null) !== v) changed[k] = v;
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
