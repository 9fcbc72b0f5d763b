import { formatApiJson, importName, stripComments, type ApiJson } from './schema.js';

/** Module names in `wanted` plus everything they import, transitively, in a stable order. */
export function closure(wanted: readonly string[], read: (module: string) => ApiJson): string[] {
  const seen = new Set<string>();
  const visit = (m: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const imp of read(m).imports ?? []) visit(importName(imp));
  };
  for (const m of wanted) visit(m);
  return [...seen].sort();
}

export interface VendorResult {
  /** file name (`ip.api.json`) → formatted JSON without comments */
  files: Map<string, string>;
  modules: string[];
}

/** The vendored form of `wanted` and its import closure: comments stripped, stable formatting. */
export function vendor(wanted: readonly string[], read: (module: string) => ApiJson): VendorResult {
  const schemas = new Map<string, ApiJson>();
  const modules = closure(wanted, (m) => {
    const json = read(m);
    schemas.set(m, json);
    return json;
  });
  const files = new Map<string, string>();
  for (const m of modules) files.set(`${m}.api.json`, formatApiJson(stripComments(schemas.get(m)!)));
  return { files, modules };
}
