/** The REST resources the test API server serves: group, version, plural, kind, scope. */

export interface ServedResource {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Objects of CRD groups carry apiVersion/kind in list items; built-in types do not. */
  crd: boolean;
}

const r = (
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  shortNames?: string[],
): ServedResource => ({
  group,
  version,
  plural,
  singular: kind.toLowerCase(),
  kind,
  namespaced,
  ...(shortNames !== undefined ? { shortNames } : {}),
  crd: group.includes('projectcalico.org'),
});

const calico = (group: string, version: string): ServedResource[] => [
  r(group, version, 'ippools', 'IPPool', false),
  r(group, version, 'bgpconfigurations', 'BGPConfiguration', false),
  r(group, version, 'bgppeers', 'BGPPeer', false),
  r(group, version, 'bgpfilters', 'BGPFilter', false),
  r(group, version, 'felixconfigurations', 'FelixConfiguration', false),
  r(group, version, 'blockaffinities', 'BlockAffinity', false),
];

/** Every resource the server knows, by group/version. */
export const SERVED_RESOURCES: readonly ServedResource[] = [
  r('', 'v1', 'nodes', 'Node', false, ['no']),
  r('', 'v1', 'namespaces', 'Namespace', false, ['ns']),
  r('', 'v1', 'pods', 'Pod', true, ['po']),
  r('', 'v1', 'services', 'Service', true, ['svc']),
  r('', 'v1', 'secrets', 'Secret', true),
  r('', 'v1', 'configmaps', 'ConfigMap', true, ['cm']),
  r('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, ['netpol']),
  ...calico('projectcalico.org', 'v3'),
  r('projectcalico.org', 'v3', 'nodes', 'Node', false),
  ...calico('crd.projectcalico.org', 'v1'),
];

export function apiVersionOf(res: ServedResource): string {
  return res.group === '' ? res.version : `${res.group}/${res.version}`;
}
