/**
 * startTestVpp(): one way for every package's traffic tests to get a VPP. A real VPP when `VPP_BIN` names
 * its binary (own runtime dir, inside a network namespace, the config that works without hugepages or
 * DPDK), else the fake VPP started as a child process exactly as VPP is: `vpp-fake -c startup.conf`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connectRawVpp } from './raw-client.js';

/** Options of the fake when {@link startTestVpp} runs it (a real VPP ignores them). */
export interface TestVppFakeInit {
  /** `tap_create_v3` outcome: `'fail'` (default: retval -11, as here without vhost-net) or `'succeed'`. */
  readonly tap?: 'fail' | 'succeed';
  /**
   * The VPP release whose message table the fake announces and speaks (env `VPP_FAKE_RELEASE`). Default
   * `'26.06'`.
   */
  readonly release?: '25.10' | '26.02' | '26.06';
  /** Version `show_version` reports. Default `<release>-release` (`26.06-release`). */
  readonly vppVersion?: string;
  /** Die with SIGKILL on the request after this many (the handshake and `sockclnt_delete` not counted). */
  readonly crashAfter?: number;
}

/** Options of {@link startTestVpp}. */
export interface TestVppInit {
  /**
   * Run VPP inside this existing namespace (a name under /run/netns). Default: none for the fake, a fresh
   * namespace for a real VPP (created and removed by the harness).
   */
  readonly netns?: string;
  /** Runtime directory (sockets, pid file, log). Default: a new temporary directory, removed by `stop()`. */
  readonly runtimeDir?: string;
  /** Extra startup.conf text appended (real VPP only; the fake ignores what it does not know). */
  readonly startupConfig?: string;
  /** Options of the fake; ignored for a real VPP. */
  readonly fake?: TestVppFakeInit;
  /** How long to wait for an API connect that answers. Default 60 s for a real VPP, 20 s for the fake. */
  readonly readyTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** How a VPP process ended. */
export interface TestVppExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running VPP (real or fake) for a test. */
export interface TestVpp {
  /** `'real'` when `process.env.VPP_BIN` is set. */
  readonly kind: 'real' | 'fake';
  /** Connect `connectVpp({ socket })` here. */
  readonly apiSocket: string;
  readonly runtimeDir: string;
  /** Path of the startup.conf it was started with. */
  readonly configPath: string;
  readonly netns: string | undefined;
  readonly pid: number;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<TestVppExit>;
  /** SIGTERM, SIGKILL after a grace period, then removes what the harness created. Idempotent. */
  stop(): Promise<void>;
}

/** A `name { … }` section of a VPP startup config; its body holds words and nested sections. */
export interface StartupConfSection {
  readonly name: string;
  readonly body: readonly StartupConfNode[];
}
export type StartupConfNode = string | StartupConfSection;

/**
 * Parses VPP startup.conf text the way VPP tokenises it: whitespace-separated words, `#` to the end of a
 * line is a comment, and `word { … }` opens a section (sections nest, as in `plugins { plugin x { disable } }`).
 * @throws Error naming the line of an unbalanced brace.
 */
export function parseStartupConf(text: string): StartupConfNode[] {
  const tokens: { t: string; line: number }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '');
    for (const t of line.replace(/([{}])/g, ' $1 ').split(/\s+/)) if (t) tokens.push({ t, line: i + 1 });
  });
  let pos = 0;
  const parseBody = (depth: number): StartupConfNode[] => {
    const out: StartupConfNode[] = [];
    while (pos < tokens.length) {
      const tok = tokens[pos]!;
      if (tok.t === '}') {
        if (depth === 0) throw new Error(`startup.conf line ${tok.line}: unexpected '}'`);
        pos++;
        return out;
      }
      if (tok.t === '{') throw new Error(`startup.conf line ${tok.line}: '{' without a section name`);
      pos++;
      if (tokens[pos]?.t === '{') {
        pos++;
        out.push({ name: tok.t, body: parseBody(depth + 1) });
      } else out.push(tok.t);
    }
    if (depth > 0) throw new Error(`startup.conf: missing '}' at the end`);
    return out;
  };
  return parseBody(0);
}

/** The first top-level section named `name`. */
export function startupConfSection(nodes: readonly StartupConfNode[], name: string): StartupConfSection | undefined {
  return nodes.find((n): n is StartupConfSection => typeof n !== 'string' && n.name === name);
}

/** The word after `key` in a section's body (`socket-name /x/api.sock` → `/x/api.sock`). */
export function startupConfValue(section: StartupConfSection | undefined, key: string): string | undefined {
  if (!section) return undefined;
  const i = section.body.indexOf(key);
  const v = i >= 0 ? section.body[i + 1] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** Where VPP puts its runtime files: `unix { runtime-dir }`, default /run/vpp. */
export function startupConfRuntimeDir(nodes: readonly StartupConfNode[]): string {
  return startupConfValue(startupConfSection(nodes, 'unix'), 'runtime-dir') ?? '/run/vpp';
}

/**
 * The API socket a VPP started with this config listens on: `socksvr { socket-name … }`, or `api.sock`
 * in the runtime dir for `socksvr { }` / `socksvr { default }`; undefined without a socksvr section (VPP
 * then opens no socket API).
 */
export function startupConfApiSocket(nodes: readonly StartupConfNode[]): string | undefined {
  const s = startupConfSection(nodes, 'socksvr');
  if (!s) return undefined;
  return startupConfValue(s, 'socket-name') ?? join(startupConfRuntimeDir(nodes), 'api.sock');
}

/**
 * The startup config that runs a real VPP 26.06 without hugepages or DPDK, all of its files in `dir`
 * (as documented in shared/README.md), followed by `extra`.
 */
export function testVppStartupConfig(dir: string, extra = ''): string {
  return [
    `unix { nodaemon cli-listen ${dir}/cli.sock runtime-dir ${dir} pidfile ${dir}/vpp.pid log ${dir}/vpp.log }`,
    `socksvr { socket-name ${dir}/api.sock }`,
    'memory { main-heap-size 1G main-heap-page-size 4k }',
    'buffers { buffers-per-numa 16384 page-size 4k }',
    `statseg { socket-name ${dir}/stats.sock size 64M page-size 4k }`,
    'plugins { plugin default { enable } plugin dpdk_plugin.so { disable } }',
    extra,
    '',
  ].join('\n');
}

/**
 * Node options of the fake's process: a young generation of 8 MiB (V8's default grows it to 16) keeps the
 * scavenges of a burst of requests in cache; bench/fake-msgs.ts measured about 13% less CPU per message.
 */
const FAKE_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=8'];

/**
 * How to run the `vpp-fake` bin from wherever this module is: from sources through tsx (a fresh clone
 * needs no build), or the built `dist/bin/vpp-fake.js` next to a built `dist/testing`.
 */
export function vppFakeCommand(): { command: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  const ts = join(dir, '..', 'bin', 'vpp-fake.ts');
  if (here.endsWith('.ts') && existsSync(ts)) {
    const bundle = process.env.VPP_FAKE_NO_BUNDLE ? undefined : bundledFake(here, ts);
    if (bundle) return { command: process.execPath, args: [...FAKE_NODE_OPTIONS, bundle] };
    return { command: process.execPath, args: ['--import', tsxLoader(here), ...FAKE_NODE_OPTIONS, ts] };
  }
  const built = join(dir, '..', 'bin', 'vpp-fake.js');
  if (existsSync(built)) return { command: process.execPath, args: [...FAKE_NODE_OPTIONS, built] };
  // a built testing module without a built bin (partial build): fall back to the sources
  const src = join(dir, '..', '..', 'src', 'bin', 'vpp-fake.ts');
  return { command: process.execPath, args: ['--import', tsxLoader(here), ...FAKE_NODE_OPTIONS, src] };
}

/** Newest modification time and total size of the files under `dir` (recursively). */
function treeStamp(dir: string, acc = { mtime: 0, size: 0, files: 0 }): { mtime: number; size: number; files: number } {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) treeStamp(p, acc);
    else if (e.name.endsWith('.ts')) {
      const st = statSync(p);
      acc.mtime = Math.max(acc.mtime, st.mtimeMs);
      acc.size += st.size;
      acc.files++;
    }
  }
  return acc;
}

/**
 * The vpp-fake sources bundled into one ES module with esbuild (installed with tsup), cached in the temp
 * directory under a key of the sources' sizes and times: it boots several times faster than through tsx.
 * Undefined when esbuild is not available or fails (the caller falls back to tsx).
 */
function bundledFake(from: string, entry: string): string | undefined {
  try {
    const srcDir = join(dirname(entry), '..');
    const st = treeStamp(srcDir);
    const key = createHash('sha1')
      .update(`${srcDir}:${st.mtime}:${st.size}:${st.files}:${process.version}`)
      .digest('hex')
      .slice(0, 16);
    const out = join(tmpdir(), `vpp-fake-${key}.mjs`);
    if (existsSync(out)) return out;
    const esbuild = createRequire(from)('esbuild') as {
      buildSync(o: Record<string, unknown>): unknown;
    };
    const tmp = `${out}.${process.pid}.tmp`;
    esbuild.buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: tmp,
      logLevel: 'silent',
    });
    renameSync(tmp, out);
    return out;
  } catch {
    return undefined;
  }
}

/** tsx's loader as an absolute URL, so the child resolves it whatever its working directory. */
function tsxLoader(from: string): string {
  try {
    const req = createRequire(from);
    const pkgPath = req.resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, unknown> };
    const entry = pkg.exports?.['.'];
    if (typeof entry === 'string') return pathToFileURL(join(dirname(pkgPath), entry)).href;
  } catch {
    // not resolvable from here: let the child try by name
  }
  return 'tsx';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until a connect to `socket` is answered (handshake and `control_ping`), the process exits, or time runs out. */
async function waitForApi(
  socket: string,
  exited: () => TestVppExit | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    signal?.throwIfAborted();
    const ex = exited();
    if (ex)
      throw new Error(`VPP exited before its API answered (code ${ex.code}, signal ${ex.signal})`, { cause: last });
    if (existsSync(socket)) {
      try {
        const c = await connectRawVpp({ socket, timeoutMs: 2000, name: 'test-vpp-ready' });
        try {
          await c.call('control_ping');
          return;
        } finally {
          await c.close().catch(() => undefined);
        }
      } catch (e) {
        last = e;
      }
    }
    if (Date.now() > end)
      throw new Error(`VPP's API at ${socket} did not answer within ${timeoutMs} ms`, { cause: last });
    await sleep(50);
  }
}

const STALE = ['api.sock', 'cli.sock', 'stats.sock'];

/** util-linux's setpriv, when this machine has it (it sets PR_SET_PDEATHSIG, which Node cannot). */
function setprivPath(): string | undefined {
  return ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
}

/**
 * Starts a VPP for a test: real when `VPP_BIN` is set (in `init.netns` or a fresh namespace, own runtime
 * dir, stale sockets removed first), else the `vpp-fake` bin as a child process. Resolves once a connect
 * to its API socket is answered, not when the socket file appears.
 * @throws Error when it exits or does not answer in time (the process and what was created are removed).
 */
export async function startTestVpp(init: TestVppInit = {}): Promise<TestVpp> {
  const vppBin = process.env.VPP_BIN;
  const kind: 'real' | 'fake' = vppBin ? 'real' : 'fake';
  init.signal?.throwIfAborted();
  const ownDir = init.runtimeDir === undefined;
  const runtimeDir =
    init.runtimeDir ?? (await mkdtemp(join(tmpdir(), kind === 'real' ? 'test-vpp-' : 'test-vpp-fake-')));
  await mkdir(runtimeDir, { recursive: true });
  for (const f of STALE) await unlink(join(runtimeDir, f)).catch(() => undefined);
  const apiSocket = join(runtimeDir, 'api.sock');
  const configPath = join(runtimeDir, 'startup.conf');
  let netns = init.netns;
  let ownNetns = false;
  const cleanup = async (): Promise<void> => {
    if (ownNetns && netns) spawnSync('ip', ['netns', 'delete', netns], { stdio: 'ignore' });
    if (ownDir) await rm(runtimeDir, { recursive: true, force: true });
  };

  let child: ChildProcess;
  try {
    await writeFile(configPath, testVppStartupConfig(runtimeDir, init.startupConfig ?? ''));
    let command: string;
    let args: string[];
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (kind === 'real') {
      if (netns === undefined) {
        netns = `testvpp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
        const r = spawnSync('ip', ['netns', 'add', netns], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`ip netns add ${netns} failed: ${r.stderr || r.error?.message}`);
        ownNetns = true;
        spawnSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
      }
      command = vppBin!;
      args = ['-c', configPath];
    } else {
      ({ command, args } = vppFakeCommand());
      args.push('-c', configPath);
      if (init.fake?.tap) env.VPP_FAKE_TAP = init.fake.tap;
      if (init.fake?.release) env.VPP_FAKE_RELEASE = init.fake.release;
      if (init.fake?.vppVersion) env.VPP_FAKE_VERSION = init.fake.vppVersion;
      if (init.fake?.crashAfter !== undefined) env.VPP_FAKE_CRASH_AFTER = String(init.fake.crashAfter);
    }
    if (netns !== undefined) {
      // `ip netns exec` execs in place: the pid is VPP's own
      args = ['netns', 'exec', netns, command, ...args];
      command = 'ip';
    }
    // a test process that dies without stop() (killed, crashed) takes its VPP with it: setpriv sets the parent
    // death signal and execs, so the pid is still VPP's own
    const setpriv = setprivPath();
    if (setpriv) {
      args = ['--pdeathsig', 'TERM', '--', command, ...args];
      command = setpriv;
    }
    child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], cwd: runtimeDir });
  } catch (e) {
    await cleanup();
    throw e;
  }

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  let exitInfo: TestVppExit | undefined;
  const exited = new Promise<TestVppExit>((resolve) => {
    child.once('exit', (code, sig) => {
      exitInfo = { code, signal: sig };
      resolve(exitInfo);
    });
    child.once('error', () => {
      exitInfo ??= { code: null, signal: null };
      resolve(exitInfo);
    });
  });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (!exitInfo) {
        child.kill('SIGTERM');
        const grace = kind === 'real' ? 10_000 : 3_000;
        const t = await Promise.race([exited, sleep(grace).then(() => undefined)]);
        if (!t) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      for (const f of STALE) await unlink(join(runtimeDir, f)).catch(() => undefined);
      await cleanup();
    })());

  try {
    await waitForApi(
      apiSocket,
      () => exitInfo,
      init.readyTimeoutMs ?? (kind === 'real' ? 60_000 : 20_000),
      init.signal,
    );
  } catch (e) {
    await stop();
    const err = e as Error;
    if (stderr) err.message += `\n--- stderr ---\n${stderr.trim()}`;
    throw err;
  }

  return {
    kind,
    apiSocket,
    runtimeDir,
    configPath,
    get netns() {
      return netns;
    },
    pid: child.pid!,
    exited,
    stop,
  };
}
