/**
 * The vectorplane node agent: composes vpp-manager, cni-server, services, policies and bgp into one node
 * dataplane, with health, metrics, the `vectorplane` command line and the lab. No protocol logic lives here.
 *
 * @example
 * ```ts
 * import { loadAgentConfig } from '@vectorplane/agent';
 *
 * const config = loadAgentConfig({ env: { NODENAME: 'node-a', SERVICE_PREFIX: '10.96.0.0/12' } });
 * console.log(config.nodeName, config.serviceCidrs, config.health.listen);
 * ```
 * @packageDocumentation
 */
export {
  loadAgentConfig,
  AgentConfigSchema,
  COMPONENTS,
  VPP_MANAGER_VARIABLES,
  type AgentConfig,
  type ComponentName,
  type LoadAgentConfigInit,
  type LogLevel,
} from './config.js';
export { composeNode, resolveCommand, type ComposeNodeInit, type ComposedNode } from './compose.js';
export {
  createRuntime,
  type AgentComponent,
  type AgentLogger,
  type ComponentState,
  type ComponentStatus,
  type Runtime,
  type RuntimeEvents,
  type RuntimeInit,
} from './runtime.js';
export {
  createAgentMetrics,
  startHealthServer,
  type AgentMetrics,
  type HealthServer,
  type HealthServerInit,
} from './health.js';
export { createLoggers, type AgentLoggers } from './logger.js';
export { runAgentProcess, type RunAgentInit } from './run.js';
export { main, EXIT } from './cli.js';
export {
  AgentConfigError,
  ComponentStartError,
  ShutdownTimeoutError,
  type ConfigOrigin,
  type ConfigProblem,
} from './errors.js';
