#!/usr/bin/env node
/**
 * `vpp-fake -c startup.conf`: the fake VPP started the way VPP is. It reads the API socket from the same
 * startup.conf a real VPP reads (`socksvr { socket-name … }`, or api.sock in `unix { runtime-dir }`),
 * writes `unix { pidfile }`, serves the fake there, and exits on SIGINT/SIGTERM like VPP.
 *
 * Environment (a real VPP never sees it):
 *   VPP_FAKE_CRASH_AFTER=N   die with SIGKILL on the request after N (handshake and sockclnt_delete not
 *                            counted), leaving the socket file behind as a crashed VPP does
 *   VPP_FAKE_TAP=succeed     tap_create_v3 succeeds (default: fails with -11 like a host without vhost-net)
 *   VPP_FAKE_RELEASE=26.02   the VPP release whose message table (names, CRCs) the fake announces and
 *                            speaks: 25.10, 26.02 or 26.06 (default)
 *   VPP_FAKE_VERSION=…       version reported by show_version (default: `<release>-release`)
 */
import { readFileSync } from 'node:fs';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  parseStartupConf,
  startupConfApiSocket,
  startupConfSection,
  startupConfValue,
  startupConfRuntimeDir,
} from '../testing/harness.js';
import { startFakeVpp, type FakeVppInit } from '../testing/server.js';
import { isVppRelease, releases } from '../client/releases.js';

const USAGE = `usage: vpp-fake -c <startup.conf>
       vpp-fake <startup config text…>   (as VPP takes it on its command line)`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { c: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let text: string;
  if (values.c) {
    try {
      text = readFileSync(values.c, 'utf8');
    } catch (e) {
      process.stderr.write(`vpp-fake: cannot read ${values.c}: ${(e as Error).message}\n`);
      return 1;
    }
  } else if (positionals.length) text = positionals.join(' ');
  else {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let conf;
  try {
    conf = parseStartupConf(text);
  } catch (e) {
    process.stderr.write(`vpp-fake: ${(e as Error).message}\n`);
    return 1;
  }
  const socket = startupConfApiSocket(conf);
  if (!socket) {
    process.stderr.write('vpp-fake: no socksvr section in the startup config: no API socket to serve\n');
    return 1;
  }
  const crashRaw = process.env.VPP_FAKE_CRASH_AFTER;
  const crashAfter = crashRaw === undefined || crashRaw === '' ? undefined : Number(crashRaw);
  if (crashAfter !== undefined && (!Number.isInteger(crashAfter) || crashAfter < 0)) {
    process.stderr.write(`vpp-fake: VPP_FAKE_CRASH_AFTER must be a non-negative integer, got '${crashRaw}'\n`);
    return 1;
  }
  const tap = process.env.VPP_FAKE_TAP;
  if (tap !== undefined && tap !== 'fail' && tap !== 'succeed') {
    process.stderr.write(`vpp-fake: VPP_FAKE_TAP must be 'fail' or 'succeed', got '${tap}'\n`);
    return 1;
  }
  const release = process.env.VPP_FAKE_RELEASE;
  if (release !== undefined && release !== '' && !isVppRelease(release)) {
    process.stderr.write(`vpp-fake: VPP_FAKE_RELEASE must be one of ${releases.join(', ')}, got '${release}'\n`);
    return 1;
  }

  await mkdir(startupConfRuntimeDir(conf), { recursive: true });
  await mkdir(dirname(socket), { recursive: true });
  let requests = 0;
  const init: FakeVppInit = {
    socket,
    ...(tap && { tap }),
    ...(release && { release }),
    ...(process.env.VPP_FAKE_VERSION && { vppVersion: process.env.VPP_FAKE_VERSION }),
    ...(crashAfter !== undefined && {
      logger: {
        debug(fields: Record<string, unknown>, msg?: string) {
          if (
            msg !== 'fake-vpp: request' ||
            fields.message === 'sockclnt_create' ||
            fields.message === 'sockclnt_delete'
          )
            return;
          if (++requests > crashAfter) {
            process.stderr.write(`vpp-fake: crashing on request ${requests} (${String(fields.message)})\n`);
            process.kill(process.pid, 'SIGKILL');
          }
        },
      },
    }),
  };
  const fake = await startFakeVpp(init);
  const pidfile = startupConfValue(startupConfSection(conf, 'unix'), 'pidfile');
  if (pidfile) await writeFile(pidfile, `${process.pid}\n`);
  process.stdout.write(`vpp-fake: listening on ${fake.socketPath} (pid ${process.pid})\n`);

  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      process.stdout.write(`vpp-fake: received ${sig}, exiting...\n`);
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await fake.stop();
  if (pidfile) await unlink(pidfile).catch(() => undefined);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`vpp-fake: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
