#!/usr/bin/env node
/**
 * `vpp-manager run --config <file.json>`: runs the manager until VPP exits or the manager is told to
 * stop (SIGTERM/SIGINT: SIGINT to VPP, then the uplink is restored). The configuration file is the typed
 * configuration as JSON; Calico/VPP's environment (CALICOVPP_INTERFACES, …) is applied on top of it.
 * `vpp-manager restore --config <file.json>`: restores the uplink from the state file an earlier run left.
 * Exit status: 0 after a clean stop or a complete restore, 1 on a failed start or an incomplete restore,
 * 2 on bad usage or configuration, 3 when `restore` finds no state file (nothing to restore), 4 when the
 * state file cannot be read or is not a vpp-manager state (nothing is changed).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { configFromEnv } from '../config.js';
import { createVppManager, restoreFromStateFile } from '../manager.js';
import { vppPaths } from '../startup-conf.js';

const USAGE = 'usage: vpp-manager run|restore --config <file.json>';

const logger = {
  info: (f: Record<string, unknown>, m?: string) =>
    process.stderr.write(`${JSON.stringify({ level: 'info', msg: m, ...f })}\n`),
  warn: (f: Record<string, unknown>, m?: string) =>
    process.stderr.write(
      `${JSON.stringify({ level: 'warn', msg: m, ...f, err: f.err instanceof Error ? f.err.message : f.err })}\n`,
    ),
  error: (f: Record<string, unknown>, m?: string) =>
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: m, ...f })}\n`),
};

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    process.stderr.write(`vpp-manager: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(
      `${USAGE}\n\n  run      take the uplink into VPP and supervise VPP until it exits or SIGTERM/SIGINT\n  restore  restore the uplink from the state file an earlier run left\n\nExit status: 0 clean stop or complete restore, 1 failed start or incomplete restore, 2 bad usage or\nconfiguration, 3 restore: no state file (nothing to restore), 4 unreadable or corrupt state file (nothing changed).\n`,
    );
    return 0;
  }
  const cmd = positionals[0];
  if ((cmd !== 'run' && cmd !== 'restore') || !values.config) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let base: Record<string, unknown>;
  try {
    base = JSON.parse(readFileSync(values.config, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    process.stderr.write(`vpp-manager: cannot read ${values.config}: ${(e as Error).message}\n`);
    return 2;
  }
  let config;
  try {
    config = configFromEnv(process.env, base);
  } catch (e) {
    process.stderr.write(`vpp-manager: ${(e as Error).message}\n`);
    return 2;
  }
  if (cmd === 'restore') {
    let s;
    try {
      // the recorded VPP is killed only when its command line still names this configuration's startup.conf
      s = await restoreFromStateFile(config.stateFile, { logger, vppCommandMatch: vppPaths(config).configFile });
    } catch (e) {
      if ((e as { name?: string }).name !== 'StateFileError') throw e;
      process.stderr.write(`vpp-manager: ${(e as Error).message}; nothing was changed\n`);
      return 4;
    }
    if (!s) {
      process.stderr.write(`vpp-manager: no state file at ${config.stateFile}: nothing to restore\n`);
      return 3;
    }
    if (!s.ok) {
      process.stderr.write(`vpp-manager: restore incomplete (state file kept): ${s.failed.join('; ')}\n`);
      return 1;
    }
    process.stderr.write(`vpp-manager: restored from ${config.stateFile}\n`);
    return 0;
  }
  const manager = createVppManager({ config }, { logger });
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'vpp-manager: stopping');
    void manager.stop();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('uncaughtException', (err) => {
    logger.error({ err: err.message }, 'vpp-manager: uncaught error');
    stop('uncaught error');
  });
  try {
    await manager.start();
  } catch (e) {
    process.stderr.write(`vpp-manager: ${(e as Error).message}\n`);
    return (e as { name?: string }).name === 'StateFileError' ? 4 : 1;
  }
  const summary = await manager.done;
  return summary.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`vpp-manager: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
