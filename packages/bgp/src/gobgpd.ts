import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants as fsc, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { createGobgpClient } from './api/client.js';
import { DEFAULT_GOBGPD_PATH } from './constants.js';
import { BgpAbortError, GobgpdNotFoundError, GobgpdStartError } from './errors.js';
import { NOOP_LOGGER, type BgpLogger } from './logger.js';

/** Options of {@link spawnGobgpd}. */
export interface GobgpdInit {
  /**
   * The binary (default `/usr/bin/gobgpd`). A name without a slash (e.g. `gobgpd`) is looked up in
   * `PATH` like execvp does; a path with a slash is used as is.
   */
  gobgpdPath?: string;
  /** Unix socket of the gRPC API (default: `gobgpd.sock` in a new temp dir, removed on stop). */
  socket?: string;
  /** Run the daemon inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** gobgpd's `--log-level` (default `info`). */
  logLevel?: 'panic' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Start with the graceful-restart "restarting" flag (`-r`). */
  gracefulRestart?: boolean;
  /** How long to wait for the API to answer, ms (default 10000). */
  readyTimeoutMs?: number;
  signal?: AbortSignal;
  logger?: BgpLogger;
}

/** A running gobgpd. */
export interface GobgpdProcess {
  readonly pid: number;
  /** The unix socket path of its API. */
  readonly socket: string;
  /** gRPC target for {@link createGobgpClient}. */
  readonly target: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines gobgpd wrote on stderr/stdout. */
  output(): string;
  /** SIGTERM, then SIGKILL after 3 s; removes the temp dir it created. */
  stop(): Promise<void>;
}

/**
 * Find the executable `bin` names: as is when it holds a slash, else the first executable regular file
 * `<dir>/<bin>` for the directories of `PATH` (an empty entry is the current directory; no `PATH`
 * means `/bin:/usr/bin`, as execvp).
 * @throws GobgpdNotFoundError naming every candidate tried
 */
export async function resolveGobgpd(bin: string, path: string | undefined = process.env['PATH']): Promise<string> {
  const candidates = bin.includes('/')
    ? [bin]
    : (path ?? '/bin:/usr/bin').split(':').map((dir) => join(dir || '.', bin));
  let lastErr: unknown;
  for (const c of candidates) {
    try {
      await access(c, fsc.X_OK);
      if ((await stat(c)).isFile()) return bin.includes('/') ? bin : resolvePath(c);
      lastErr = new Error(`${c} is not a regular file`);
    } catch (err) {
      lastErr = err;
    }
  }
  throw new GobgpdNotFoundError(bin, { cause: lastErr, searched: candidates });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Start gobgpd with its API on a unix socket only (`--api-hosts unix://…`) and pprof off, and wait until
 * the API answers. BGP itself does not listen until `StartBgp`.
 * @throws GobgpdNotFoundError when the binary is missing (a bare name is looked up in PATH); GobgpdStartError when the API never answers
 */
export async function spawnGobgpd(init: GobgpdInit = {}): Promise<GobgpdProcess> {
  const log = init.logger ?? NOOP_LOGGER;
  const bin = await resolveGobgpd(init.gobgpdPath ?? DEFAULT_GOBGPD_PATH);
  if (init.signal?.aborted) throw new BgpAbortError('spawnGobgpd', { cause: init.signal.reason });
  let tmp: string | undefined;
  let socket = init.socket;
  if (!socket) {
    tmp = await mkdtemp(join(tmpdir(), 'vp-gobgpd-'));
    socket = join(tmp, 'gobgpd.sock');
  }
  await rm(socket, { force: true });
  const args = [
    `--api-hosts=unix://${socket}`,
    '--pprof-disable',
    `--log-level=${init.logLevel ?? 'info'}`,
    '--log-plain',
    '--disable-stdlog',
  ];
  // --disable-stdlog silences stdout logging; keep errors by not disabling when debugging
  args.pop();
  if (init.gracefulRestart) args.push('-r');
  const [cmd, argv] = init.netns ? ['ip', ['netns', 'exec', init.netns, bin, ...args]] : [bin, args];
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const onData = (b: Buffer) => {
    out += b.toString();
    if (out.length > 16384) out = out.slice(-8192);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: -1, signal: null }));
  });
  let alive = true;
  void exited.then(() => {
    alive = false;
  });
  const cleanup = async () => {
    if (alive) child.kill('SIGKILL');
    await exited;
    if (tmp) await rm(tmp, { recursive: true, force: true });
    else await rm(socket, { force: true });
  };

  const timeoutMs = init.readyTimeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const sock = socket;
  try {
    while (!(await exists(sock))) {
      if (!alive) throw new GobgpdStartError(sock, 'gobgpd exited before creating its socket', out);
      if (init.signal?.aborted) throw new BgpAbortError('spawnGobgpd', { cause: init.signal.reason });
      if (Date.now() > deadline) throw new GobgpdStartError(sock, `socket did not appear within ${timeoutMs} ms`, out);
      await new Promise((r) => setTimeout(r, 20));
    }
    const client = createGobgpClient({ target: `unix://${sock}` });
    try {
      await client.waitReady({ timeoutMs: Math.max(100, deadline - Date.now()) });
    } catch (err) {
      throw new GobgpdStartError(sock, 'API did not answer', out, { cause: err });
    } finally {
      client.close();
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  log.info({ pid: child.pid, socket: sock, netns: init.netns }, 'gobgpd started');

  return {
    pid: child.pid!,
    socket: sock,
    target: `unix://${sock}`,
    exited,
    output: () => out,
    async stop() {
      if (alive) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      await cleanup();
    },
  };
}
