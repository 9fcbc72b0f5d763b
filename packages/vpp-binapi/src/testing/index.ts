/**
 * Testing support for everything that talks to VPP: a fake VPP speaking the real socket protocol with
 * state, VPP's retvals, events and fault injection, and a conformance suite that runs against the fake
 * and against a real VPP.
 *
 * The fake is made of one module per VPP plugin it imitates (`src/testing/plugins/`: interface, ip,
 * ip-neighbor, punt, arp/ip6-nd, tap, af_packet, af_xdp, rdma, virtio, vmxnet3, memif, ipip, vxlan,
 * wireguard, cnat, npol, acl, urpf, gso, feature, session, http_static, vlib), each answering with the
 * retvals and state rules of VPP 26.06's source (cited in each handler). Its state is `fake.state`.
 *
 * @example
 * ```ts
 * import { startFakeVpp, connectRawVpp } from '@vectorplane/vpp-binapi/testing';
 * const fake = await startFakeVpp();
 * const vpp = await connectRawVpp({ socket: fake.socketPath });
 * const { sw_if_index } = await vpp.call('create_loopback', { mac_address: '02:00:00:00:00:01' });
 * fake.state.interfaces.get(sw_if_index)?.interface_name; // 'loop0'
 * fake.faults.delay(200); // every answer now comes 200 ms late
 * await vpp.close();
 * await fake.stop();
 * ```
 *
 * Asking the fake whether a packet would pass the policies programmed on it (ACL plugin, and npol when
 * `fake.state.npolEnforces` is set; VPP 26.06's npol filters nothing, so it is off by default):
 * ```ts
 * const verdict = fake.state.evaluate({
 *   sw_if_index: podTap,           // the interface the packet is on
 *   direction: 'output',           // 'input': VPP receives it there (RX); 'output': VPP sends it out (TX)
 *   src: '10.0.0.5', dst: '10.0.1.7', proto: 6, sport: 40000, dport: 80,
 * });
 * verdict.allowed;                 // ACL (and npol, when enforced) let it through
 * verdict.acl.reason;              // 'no-acl' | 'rule' | 'session' | 'implicit-deny', with acl_index/rule_index
 * fake.state.evaluateNpol(packet); // npol's own decision, enforced or not
 * ```
 * A permit+reflect (`is_permit: 2`) match opens a session (unless `{ commit: false }`), so the reply
 * (addresses and ports swapped, ICMP echo → echo reply) passes on the same interface in the other
 * direction even through a deny.
 *
 * Devices for the uplink drivers exist only when a test declares them: `fake.state.devices.addNetdev('eth1',
 * { rdma: true })`, `fake.state.devices.addPci('0000:00:08.0', 'virtio')`. Without them af_xdp, rdma,
 * virtio-pci and vmxnet3 fail with the retvals VPP gives on a host without the device. af_packet binds any
 * host interface name unless `fake.state.hostInterfaces` is set to the names that exist.
 * @packageDocumentation
 */
export {
  startFakeVpp,
  type FakeVpp,
  type FakeVppBindings,
  type FakeVppFaults,
  type FakeVppInit,
  type FakeVppLogger,
  type FakeVppMessagesInit,
} from './server.js';
export {
  FakeVppState,
  makePath,
  type FakeCnatEndpoint,
  type FakeCnatTranslation,
  type FakeFibEntry,
  type FakeFibTable,
  type FakeInterface,
  type FakeIpipTunnel,
  type FakeNeighbor,
  type FakeNpolInterfaceConfig,
  type FakeNpolState,
  type FakePath,
  type FakePuntRedirect,
  type FakeSubInterface,
  type FakeTap,
  type FakeVppStateInit,
  type FakeVxlanTunnel,
  type FakePolicyVerdict,
  type FibSource,
  type InterfaceKind,
} from './state.js';
export type { FakePacket } from './plugins/packet.js';
export { FakeAclState, type FakeAcl, type FakeAclRule, type FakeAclVerdict, type AclAction } from './plugins/acl.js';
export { evaluateNpol, FakeNpolStore, type FakeNpolEvaluation } from './plugins/npol.js';
export { FakeCnatStore } from './plugins/cnat.js';
export { FakeDevicesState, type FakeNetdev, type FakePciDevice } from './plugins/devices.js';
export { FakeMemifState, type FakeMemifSocket } from './plugins/memif.js';
export { FakeWireguardState, type FakeWireguardInterface, type FakeWireguardPeer } from './plugins/wireguard.js';
export { FakeNodeGraph } from './plugins/vlib.js';
export { PLUGINS, composeHandlers } from './plugins/index.js';
export type { FakePlugin, Handler, HandlerContext, Msg } from './plugins/context.js';
export { VNET_API_ERROR, INDEX_INVALID, DEFAULT_VPP_VERSION, FIB_SOURCE_ID, INTERFACE_DEFAULTS } from './constants.js';
export { afPacketWithAddress } from './traffic.js';
export { connectRawVpp, RawVppApiError, type RawMessage, type RawVppClient, type RawVppInit } from './raw-client.js';
export {
  createVethHostInterface,
  type HostInterfaceLease,
  type VethHostInterfaceInit,
  conformanceCases,
  coreConformanceCases,
  pluginConformanceCases,
  conformanceSkipReason,
  describeConformance,
  runConformance,
  ConformanceError,
  type ConformanceCase,
  type ConformanceClient,
  type ConformanceContext,
  type ConformanceResult,
  type ConformanceSubscription,
  type ConformanceTarget,
  type ConformanceTestApi,
} from './conformance/index.js';
export { seededRandom } from './random.js';
export {
  startTestVpp,
  parseStartupConf,
  startupConfSection,
  startupConfValue,
  startupConfApiSocket,
  startupConfRuntimeDir,
  testVppStartupConfig,
  vppFakeCommand,
  type StartupConfNode,
  type StartupConfSection,
  type TestVpp,
  type TestVppExit,
  type TestVppFakeInit,
  type TestVppInit,
} from './harness.js';
