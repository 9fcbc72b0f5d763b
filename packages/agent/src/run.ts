/**
 * `vectorplane run`: load the configuration, compose the node, serve health and metrics, start, and on
 * SIGTERM/SIGINT stop everything in reverse order within the deadline (exit 0). When the node cannot go on (VPP
 * exited under vpp-manager), it stops the same way and exits 1, for its supervisor to start it again.
 */
import { loadAgentConfig } from './config.js';
import { composeNode } from './compose.js';
import { createAgentMetrics, startHealthServer, type HealthServer } from './health.js';
import { createLoggers } from './logger.js';

/** Options of {@link runAgentProcess}. */
export interface RunAgentInit {
  readonly configFile?: string | undefined;
  readonly io: { err(s: string): void; env: Readonly<Record<string, string | undefined>> };
}

/** Runs the agent until a signal; resolves with the process exit code (2 for configuration errors). */
export async function runAgentProcess(init: RunAgentInit): Promise<number> {
  let config;
  try {
    config = loadAgentConfig({ env: init.io.env, ...(init.configFile !== undefined && { file: init.configFile }) });
  } catch (err) {
    init.io.err(`vectorplane: ${(err as Error).message}\n`);
    return 2;
  }
  const loggers = createLoggers(config);
  const log = loggers.component('agent');
  const metrics = createAgentMetrics();
  const node = composeNode({ config, loggers, metrics });
  const servers: HealthServer[] = [];
  const stopSignal = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    log.info({ signal: sig }, 'shutting down');
    stopSignal.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    servers.push(
      await startHealthServer({ listen: config.health.listen, runtime: node.runtime, sections: node.sections }),
    );
    servers.push(await startHealthServer({ listen: config.metrics.listen, metrics }));
    let fatal: Error | undefined;
    void node.fatal.then((err) => {
      fatal = err;
      stopSignal.abort();
    });
    await node.runtime.start({ signal: stopSignal.signal });
    if (!stopSignal.signal.aborted)
      await new Promise<void>((resolve) =>
        stopSignal.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    await node.runtime.stop();
    if (fatal) log.error({ err: fatal }, 'stopped: exit 1 for the supervisor to start the agent again');
    return fatal ? 1 : 0;
  } catch (err) {
    log.error({ err }, 'agent failed');
    await node.runtime.stop().catch(() => undefined);
    return 1;
  } finally {
    for (const s of servers) await s.close();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    loggers.root.flush();
  }
}
