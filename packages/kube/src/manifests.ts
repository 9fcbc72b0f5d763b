/** Reading manifest files: YAML (multi-document) and JSON (an object, an array, or a `List`). */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
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

/** One YAML document of a stream: its text (marker lines blanked) and the 0-based line it starts on. */
interface YamlDocument {
  text: string;
  line: number;
}

const DOC_START = /^---(?=\s|$)/;
const DOC_END = /^\.\.\.(?=\s|$)/;

/**
 * Splits a YAML stream at its document markers (`---` and `...` at column 0, which YAML forbids inside a document's
 * content, block scalars included). Lines before the first `---` form a document only when they hold content, as
 * in YAML (a leading `---` starts the first document). Each document keeps its lines, so positions stay true.
 */
export function splitDocuments(text: string): YamlDocument[] {
  const lines = text.split(/\r?\n/);
  const docs: YamlDocument[] = [];
  let cur: { lines: string[]; line: number; explicit: boolean } | undefined = { lines: [], line: 0, explicit: false };
  const close = (): void => {
    if (cur === undefined) return;
    const body = cur.lines.join('\n');
    // an implicit first document holding only comments, directives or blanks is no document
    if (cur.explicit || cur.lines.some((l) => !/^\s*(#.*)?$/.test(l) && !l.startsWith('%')))
      docs.push({ text: body, line: cur.line });
    cur = undefined;
  };
  lines.forEach((l, n) => {
    if (DOC_START.test(l)) {
      close();
      // content after the marker (`--- {a: 1}`) belongs to the document; the marker becomes blanks
      cur = { lines: [`   ${l.slice(3)}`], line: n, explicit: true };
    } else if (DOC_END.test(l)) {
      if (cur !== undefined) cur.explicit = true;
      close();
    } else if (cur !== undefined) cur.lines.push(l);
    else if (!/^\s*(#.*)?$/.test(l) && !l.startsWith('%')) cur = { lines: [l], line: n, explicit: false };
  });
  close();
  return docs;
}

/** Nodes a document may expand to through aliases (`&a` … `*a`): a guard against alias bombs. */
const MAX_EXPANDED_NODES = 1_000_000;

function checkExpansion(value: unknown): void {
  let count = 0;
  const walk = (v: unknown): void => {
    if (++count > MAX_EXPANDED_NODES)
      throw new Error(`the document expands to more than ${MAX_EXPANDED_NODES} nodes through aliases`);
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) walk(x);
  };
  walk(value);
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
  splitDocuments(text).forEach((doc, i) => {
    let value: unknown;
    try {
      // YAML 1.2's core schema, as the API server reads it: no timestamps or binary, `2024-01-01` stays a string
      value = load(doc.text, { filename: file, schema: CORE_SCHEMA });
      checkExpansion(value);
    } catch (err) {
      const e = err as { reason?: string; message: string; mark?: { line: number; column: number } };
      errors.push(
        new KubeParseError({
          file,
          document: i,
          line: e.mark !== undefined ? doc.line + e.mark.line + 1 : undefined,
          column: e.mark !== undefined ? e.mark.column + 1 : undefined,
          message: e.reason ?? e.message.split('\n')[0] ?? e.message,
          cause: err,
        }),
      );
      return;
    }
    expand(value, i, documents);
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
