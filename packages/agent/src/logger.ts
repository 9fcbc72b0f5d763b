/**
 * Structured logs with pino: one root logger, one child per component with its own level
 * (`log.components` in the config, e.g. `{ bgp: 'debug' }`).
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import type { AgentConfig, ComponentName } from './config.js';

/** The root logger and a factory for per-component children. */
export interface AgentLoggers {
  readonly root: Logger;
  /** The logger handed to one component, tagged `component` and at that component's level. */
  component(name: ComponentName | 'agent'): Logger;
}

/** Builds the loggers from the config; `destination` defaults to stdout (JSON lines). */
export function createLoggers(
  config: Pick<AgentConfig, 'log' | 'nodeName'>,
  destination?: DestinationStream,
): AgentLoggers {
  const levels = Object.values(config.log.components);
  // The root must be at least as verbose as the most verbose component, or pino drops their records.
  const order = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
  const rootLevel = [config.log.level, ...levels].reduce((a, b) => (order.indexOf(a) <= order.indexOf(b) ? a : b));
  const root = pino({ level: rootLevel, base: { node: config.nodeName } }, destination ?? pino.destination(1));
  const children = new Map<string, Logger>();
  return {
    root,
    component(name) {
      let child = children.get(name);
      if (!child) {
        const level = (name !== 'agent' && config.log.components[name]) || config.log.level;
        child = root.child({ component: name }, { level });
        children.set(name, child);
      }
      return child;
    },
  };
}
