// Set-up shared by the agent's interop files: polling, free ports, and the bundle built from the current sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const pkg = join(import.meta.dirname, '..', '..');

/** Polls `f` until it holds; the error names `what` and, when given, the tail of `context()` (e.g. a log). */
export async function until(
  what: string,
  f: () => boolean | Promise<boolean>,
  ms = 15_000,
  context?: () => string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${context ? `\n${context().slice(-3000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A TCP port free on 127.0.0.1 at the time of asking. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Newest modification time under `dir` (recursively), skipping node_modules and dist. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * dist/bin/vectorplane.js as the current sources make it: built again unless it is newer than every package's
 * `src/`, the bundle's config and shims (the files of one test run share one build).
 */
export function buildBundle(): string {
  const bundle = join(pkg, 'dist', 'bin', 'vectorplane.js');
  const packages = join(pkg, '..');
  const inputs = Math.max(
    ...readdirSync(packages).map((p) => (existsSync(join(packages, p, 'src')) ? newest(join(packages, p, 'src')) : 0)),
    newest(join(pkg, 'bundle')),
    statSync(join(pkg, 'tsup.bin.config.ts')).mtimeMs,
  );
  if (existsSync(bundle) && existsSync(join(pkg, 'dist', 'metafile-esm.json')) && statSync(bundle).mtimeMs > inputs)
    return bundle;
  const r = spawnSync('npx', ['tsup', '--config', 'tsup.bin.config.ts'], { cwd: pkg, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bundle build failed:\n${r.stdout}\n${r.stderr}`);
  return bundle;
}
