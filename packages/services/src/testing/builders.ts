import { SERVICE_NAME_LABEL } from '../constants.js';
import type { EndpointInput, EndpointSliceInput, ServiceInput, ServicePortInput } from '../types.js';

type Spec = NonNullable<ServiceInput['spec']>;

/** Fields of {@link makeService}: anything of `spec` plus a few shortcuts. */
export interface MakeServiceInit extends Partial<Spec> {
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
  ingress?: { ip?: string; hostname?: string; ipMode?: string }[];
  resourceVersion?: string;
}

/** A core/v1 Service: `default/web`, ClusterIP `10.96.0.10`, one TCP port `http` 80 → 8080 unless told otherwise. */
export function makeService(init: MakeServiceInit = {}): ServiceInput {
  const { name = 'web', namespace = 'default', annotations, ingress, resourceVersion, ...spec } = init;
  const ports: ServicePortInput[] = spec.ports ?? [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace,
      ...(annotations ? { annotations } : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    spec: {
      type: 'ClusterIP',
      ...(spec.clusterIP === undefined && spec.clusterIPs === undefined
        ? { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] }
        : {}),
      ...spec,
      ports,
    },
    ...(ingress ? { status: { loadBalancer: { ingress } } } : {}),
  };
}

/** An endpoint: ready on `node` unless conditions say otherwise. */
export function endpoint(
  address: string | string[],
  node?: string,
  conditions?: EndpointInput['conditions'],
): EndpointInput {
  return {
    addresses: Array.isArray(address) ? address : [address],
    ...(node !== undefined ? { nodeName: node } : {}),
    ...(conditions ? { conditions } : {}),
  };
}

/** Fields of {@link makeSlice}. */
export interface MakeSliceInit {
  name?: string;
  namespace?: string;
  service?: string;
  addressType?: string;
  endpoints?: EndpointInput[];
  ports?: NonNullable<EndpointSliceInput['ports']>;
}

/** A discovery/v1 EndpointSlice of Service `web` with port `http` 8080 unless told otherwise. */
export function makeSlice(init: MakeSliceInit = {}): EndpointSliceInput {
  const service = init.service ?? 'web';
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: init.name ?? `${service}-abc`,
      namespace: init.namespace ?? 'default',
      labels: { [SERVICE_NAME_LABEL]: service },
    },
    addressType: init.addressType ?? 'IPv4',
    endpoints: init.endpoints ?? [],
    ports: init.ports ?? [{ name: 'http', protocol: 'TCP', port: 8080 }],
  };
}
