/**
 * The binding generator: VPP `.api.json` schemas in, TypeScript source text out. Pure functions; the
 * file system is the caller's business (see scripts/generate.ts and src/bin/vpp-binapi.ts).
 */
import { emitIndex, emitModule, SchemaSet, typeNamesOf, type EmitOptions } from './emit.js';
import { parseModule, type ApiJson } from './schema.js';
import { shareImpls } from './share.js';

export {
  SchemaError,
  stripComments,
  formatApiJson,
  parseModule,
  type ApiJson,
  type FieldSpec,
  type ModuleSpec,
} from './schema.js';
export { closure, vendor, type VendorResult } from './vendor.js';
export { generateReleases, releaseDir, type ReleaseSchemas } from './releases.js';

export interface GenerateInit {
  /** Module specifier the generated code imports the codec runtime from. Default `'../codec/support.js'`. */
  runtimeImport?: string;
  /** A note on the source written into every header, e.g. `VPP 26.06`. */
  source?: string;
}

/** One schema file: its base name (`ip` for `ip.api.json`) and parsed JSON. */
export interface SchemaFile {
  readonly name: string;
  readonly json: ApiJson;
}

/**
 * Generates one TypeScript module per schema plus `index.ts`; returns file name → source text, in a
 * stable order. Types a schema repeats from its imports are emitted once, by the module defining them.
 * @throws SchemaError when a schema uses a construct that cannot be resolved.
 */
export function generate(files: readonly SchemaFile[], init: GenerateInit = {}): Map<string, string> {
  const mods = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => parseModule(f.json, f.name));
  const set = new SchemaSet(mods);
  const opts: EmitOptions = { runtimeImport: init.runtimeImport ?? '../codec/support.js' };
  if (init.source !== undefined) opts.source = init.source;
  const out = new Map<string, string>();
  const outputs = mods.map((m) => emitModule(set, m, opts));
  for (const o of outputs) out.set(o.file, o.code);
  out.set('index.ts', emitIndex(set, outputs, opts));
  shareImpls(out, typeNamesOf(set), opts.runtimeImport);
  return out;
}
