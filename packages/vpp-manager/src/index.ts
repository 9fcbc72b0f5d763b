/**
 * Takes the node's uplink into VPP, gives Linux a host interface that looks like the old uplink
 * (name, MAC, MTU, addresses, routes), supervises VPP, and restores the uplink on any exit — VPP
 * crashing or killed, the manager stopped, or the manager itself crashed (the next start restores from
 * the state file).
 *
 * @example
 * ```ts
 * import { createVppManager } from '@vectorplane/vpp-manager';
 *
 * const manager = createVppManager({
 *   config: {
 *     netns: 'node', // where the uplink lives; omit for the manager's own namespace
 *     uplink: { interfaceName: 'eth0', driver: 'af_packet' },
 *     vpp: { bin: '/usr/bin/vpp', netns: 'vpp', runtimeDir: '/run/vpp' },
 *     podCidrs: ['10.244.0.0/16'],
 *     servicePrefixes: ['10.96.0.0/12'],
 *     stateFile: '/var/lib/vpp-manager/uplink.json',
 *     statusFile: '/run/vpp-manager/status.json',
 *   },
 * });
 * manager.addEventListener('status', (ev) => console.log((ev as CustomEvent).detail.status));
 * const ready = await manager.start(); // VPP holds the uplink; Linux has its twin
 * console.log(ready.driver, ready.uplinkSwIfIndex, ready.hostMode);
 * await manager.stop(); // SIGINT to VPP, then the uplink is back as it was
 * ```
 * @packageDocumentation
 */
export {
  createVppManager,
  restoreUplink,
  restoreFromStateFile,
  pickNextHop,
  type VppManager,
  type VppManagerInit,
  type VppManagerComponents,
  type VppManagerLogger,
  type ManagerStatus,
  type StatusRecord,
  type ReadyInfo,
  type RestoreSummary,
  type PhaseTiming,
  type DriverRefusal,
  type ManagerCheckpoint,
} from './manager.js';
export {
  parseConfig,
  configFromEnv,
  fillTemplate,
  ManagerConfigSchema,
  UplinkConfigSchema,
  DRIVERS,
  AUTO_DRIVER_ORDER,
  RX_MODES,
  type ManagerConfig,
  type ManagerConfigInput,
  type UplinkConfig,
  type DriverName,
  type RxMode,
  type TemplateFacts,
} from './config.js';
export {
  captureUplink,
  orderRoutes,
  isLinkLocal,
  readState,
  removeState,
  plannedMacvlanCapture,
  writeJsonAtomic,
  readSysfs,
  type UplinkCapture,
  type UplinkKind,
  type ManagerState,
  type TakeoverPhase,
} from './capture.js';
export {
  renderStartupConf,
  vppPaths,
  freeHugepages,
  DRIVER_PLUGINS,
  type StartupFacts,
  type VppPaths,
} from './startup-conf.js';
export {
  UPLINK_DRIVERS,
  afPacketDriver,
  afXdpDriver,
  virtioDriver,
  rdmaDriver,
  vmxnet3Driver,
  dpdkDriver,
  driverCandidates,
  probeHostFacts,
  parsePci,
  pciAsU32,
  AF_XDP_MAX_MTU,
  type UplinkDriver,
  type DriverHostFacts,
  type DriverRequest,
} from './drivers.js';
export {
  Steps,
  fibPath,
  setupGlobal,
  configureUplink,
  createUplinkInterface,
  createVlans,
  configureHostInterface,
  enableHostStack,
  findInterface,
  interfaceNames,
  removeDriverLeftovers,
  replayableRoutes,
  vppPrefix,
  ip4Range,
  INDEX_INVALID,
  VPP_SIDE_MAC,
  type Vpp,
} from './vpp-setup.js';
export { checkCapabilities, effectiveCaps, missingCaps, CAPS, VPP_CAPS, MANAGER_CAPS, type CapName } from './caps.js';
export {
  ConfigError,
  UplinkNotFoundError,
  UplinkNoAddressError,
  DriverUnsupportedError,
  VppStartError,
  VppExitedError,
  SetupError,
  CapabilityError,
  StateFileError,
  RestoreError,
  type ConfigIssue,
} from './errors.js';
