import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Options of {@link spawnBird}. */
export interface BirdInit {
  /** Network namespace to run BIRD in. */
  netns: string;
  /** BIRD 2 configuration text (router id, protocols…); written to a temp dir with its control socket. */
  config: string;
  /** Path of `bird` (default `/usr/sbin/bird`). */
  birdPath?: string;
  /** Readiness timeout in ms (default 10000). */
  readyTimeoutMs?: number;
}

/** A running BIRD. */
export interface BirdProcess {
  readonly pid: number;
  readonly dir: string;
  readonly socket: string;
  /** Run a `birdc` command (e.g. `show route`) and return its output. */
  birdc(command: string): Promise<string>;
  /** Replace the config and `configure` (soft reconfiguration). */
  reconfigure(config: string): Promise<string>;
  stop(): Promise<void>;
}

/** Start BIRD 2 in a netns with its own config and control socket in a temp dir, and wait until birdc answers. */
export async function spawnBird(init: BirdInit): Promise<BirdProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'vp-bird-'));
  const conf = join(dir, 'bird.conf');
  const socket = join(dir, 'bird.ctl');
  await writeFile(conf, init.config);
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      init.netns,
      init.birdPath ?? '/usr/sbin/bird',
      '-f',
      '-c',
      conf,
      '-s',
      socket,
      '-P',
      join(dir, 'bird.pid'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  let alive = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => (alive = false));
  /** birdc exits non-zero for answers such as "Network not found": that is output too. */
  const birdc = async (command: string): Promise<string> => {
    try {
      const { stdout } = await run('birdc', ['-s', socket, ...command.split(' ')]);
      return stdout;
    } catch (err) {
      const e = err as { stdout?: string; code?: unknown };
      if (typeof e.stdout === 'string' && e.stdout.includes('BIRD')) return e.stdout;
      throw err;
    }
  };
  const deadline = Date.now() + (init.readyTimeoutMs ?? 10_000);
  for (;;) {
    if (!alive) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`bird exited: ${out.trim()}`);
    }
    try {
      await stat(socket);
      if (!(await birdc('show status')).includes('Daemon is up')) throw new Error('not up yet');
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await exited;
        await rm(dir, { recursive: true, force: true });
        throw new Error(`bird did not answer on ${socket}: ${out.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    pid: child.pid!,
    dir,
    socket,
    birdc,
    async reconfigure(config) {
      await writeFile(conf, config);
      return birdc('configure');
    },
    async stop() {
      if (alive) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
