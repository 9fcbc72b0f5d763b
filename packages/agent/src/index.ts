/** @packageDocumentation The vectorplane node agent: composes vpp-manager, cni-server, services, policies and bgp into one dataplane; the vectorplane binary and the lab */
export {};
