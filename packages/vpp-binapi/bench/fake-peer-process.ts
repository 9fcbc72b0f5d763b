/** Starting bench/fake-peer.ts as a child process, for bench/fake-msgs.ts and bench/fake-diff.ts. */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
/** The child's entry, from sources (run it with `--import tsx`, or bundle it). */
export const FAKE_PEER_ENTRY = join(dirname(here), 'fake-peer.ts');

/**
 * Bundles the child into one ES module at `out` with esbuild (installed with tsup): it boots several times faster
 * than through tsx. @throws when esbuild is not available or fails
 */
export function bundleFakePeer(out: string): string {
  const esbuild = createRequire(here)('esbuild') as { buildSync(o: Record<string, unknown>): unknown };
  esbuild.buildSync({
    entryPoints: [FAKE_PEER_ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    logLevel: 'silent',
  });
  return out;
}

/** Forks `module` with node options `execArgv` and resolves with the socket path it sends once its fake listens. */
export async function forkFakePeer(
  module: string,
  execArgv: readonly string[] = [],
): Promise<{ socket: string; child: ChildProcess }> {
  const child = fork(module, [], { execArgv: [...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const socket = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { socket: string }).socket));
    child.once('exit', (code) => reject(new Error(`fake peer exited with ${code}`)));
  });
  return { socket, child };
}
