/**
 * Testing support for everything that talks to VPP: a fake VPP speaking the real socket protocol with
 * state, VPP's retvals, events and fault injection, and a conformance suite that runs against the fake
 * and against a real VPP.
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
  type FibSource,
  type InterfaceKind,
} from './state.js';
export { VNET_API_ERROR, INDEX_INVALID, DEFAULT_VPP_VERSION, FIB_SOURCE_ID, INTERFACE_DEFAULTS } from './constants.js';
export { connectRawVpp, RawVppApiError, type RawMessage, type RawVppClient, type RawVppInit } from './raw-client.js';
export {
  createVethHostInterface,
  type HostInterfaceLease,
  type VethHostInterfaceInit,
  conformanceCases,
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
