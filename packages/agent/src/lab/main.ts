/**
 * The lab's command: runs {@link runLab}, prints its report and writes it to `lab-report.md` in the current
 * directory. SIGINT/SIGTERM abort the lab; cleanup still runs before the process exits.
 */
import { writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { runLab } from './lab.js';
import { renderLabReport } from './report.js';

/** Runs the lab as a command; resolves with the exit code (0 ok, 1 failed, 130 interrupted). */
export async function labMain(io: { out(s: string): void; err(s: string): void; cwd: string }): Promise<number> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    io.err('lab: needs root (it creates network namespaces); run it as root, e.g. `sudo npm run lab`\n');
    return 1;
  }
  const abort = new AbortController();
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    io.err(`\nlab: ${sig}: stopping and removing everything the lab created…\n`);
    abort.abort(new Error(`lab interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  try {
    const report = await runLab({
      log: (l) => io.err(`${l}\n`),
      signal: abort.signal,
      ...(process.env.LAB_LOGS && { logsDir: process.env.LAB_LOGS }),
    });
    const md = renderLabReport(report);
    const file = join(isAbsolute(io.cwd) ? io.cwd : process.cwd(), 'lab-report.md');
    writeFileSync(file, md);
    io.out(`\n${md}\n`);
    io.err(`lab: done in ${((Date.now() - started) / 1000).toFixed(1)} s; report written to ${file}\n`);
    const bad =
      report.leftovers.length > 0 ||
      report.nodes.some((n) => !n.ready) ||
      report.pods.some((p) => !p.inVpp) ||
      (report.traffic?.some((t) => !t.ok) ?? false);
    return bad ? 1 : 0;
  } catch (err) {
    io.err(`lab: ${interrupted ? 'interrupted' : 'failed'}: ${(err as Error).message}\n`);
    return interrupted ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const code = await labMain({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  cwd: process.cwd(),
});
process.exitCode = code;
