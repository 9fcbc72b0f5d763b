/** Reading manifest files: YAML (multi-document) and JSON (an object, an array, or a `List`). */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeFileError, KubeParseError } from './errors.js';

/** File names the folder source and `--load` read. */
export const MANIFEST_FILE = /\.(ya?ml|json)$/i;

export interface ManifestDocument {
  /** Index of the YAML document in its file (a JSON array: of the item; a `List`'s items share the List's). */
  document: number;
  value: unknown;
}

export interface ManifestFile {
  file: string;
  documents: ManifestDocument[];
  errors: (KubeParseError | KubeFileError)[];
}

function expand(value: unknown, index: number, out: ManifestDocument[]): void {
  if (value === null || value === undefined) return; // an empty document
  if (Array.isArray(value)) {
    value.forEach((v, i) => expand(v, i, out));
    return;
  }
  const v = value as { kind?: unknown; items?: unknown };
  if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
    for (const item of v.items) out.push({ document: index, value: item });
    return;
  }
  out.push({ document: index, value });
}

/** Parse manifest text; a document that does not parse is an error naming file, document and line, the others are kept. */
export function parseManifests(file: string, text: string): ManifestFile {
  const documents: ManifestDocument[] = [];
  const errors: KubeParseError[] = [];
  if (/\.json$/i.test(file)) {
    try {
      expand(JSON.parse(text) as unknown, 0, documents);
    } catch (err) {
      errors.push(new KubeParseError({ file, message: (err as Error).message, cause: err }));
    }
    return { file, documents, errors };
  }
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      errors.push(
        new KubeParseError({
          file,
          document: i,
          line: e.linePos?.[0]?.line,
          column: e.linePos?.[0]?.col,
          message: e.message.split('\n')[0] ?? e.message,
          cause: e,
        }),
      );
      return;
    }
    expand(doc.toJS({ maxAliasCount: 100 }) as unknown, i, documents);
  });
  return { file, documents, errors };
}

/** Read and parse one file. */
export async function readManifestFile(file: string): Promise<ManifestFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return {
      file,
      documents: [],
      errors: [new KubeFileError({ file, errno: e.code, message: e.message, cause: err })],
    };
  }
  return parseManifests(file, text);
}

/** The manifest files under `dir` (recursively, sorted), skipping dot files. */
export async function listManifestFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && MANIFEST_FILE.test(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}
