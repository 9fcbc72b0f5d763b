// Runs a package's bin from its TypeScript source, for a workspace checkout where `npm run build` has not run:
// each package's bin/<name>.js shim imports its dist/ file when built, else calls runSource() with its src/ entry.
// In-process (tsx's ESM loader plus the `@vectorplane/source` condition that points our imports at sources), so
// signals, stdin and the exit code are the bin's own.
import { register } from 'node:module';

const RESOLVE_SOURCE = `export function resolve(specifier, context, next) {
  return next(specifier, { ...context, conditions: [...context.conditions, '@vectorplane/source'] });
}`;

/** @param {URL} entry the bin's TypeScript entry */
export async function runSource(entry) {
  register(`data:text/javascript,${encodeURIComponent(RESOLVE_SOURCE)}`);
  const tsx = await import('tsx/esm/api');
  tsx.register();
  await import(entry.href);
}
