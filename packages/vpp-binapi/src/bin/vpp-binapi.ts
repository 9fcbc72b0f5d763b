#!/usr/bin/env node
/**
 * `vpp-binapi generate --input <dir> --output <dir> [--runtime <specifier>] [--check]`
 *
 * Generates typed bindings for VPP `.api.json` schemas (for example a plugin's own), one module per
 * schema plus `index.ts`. The generated code imports the codec runtime from `--runtime`
 * (default `@vectorplane/vpp-binapi/codec`).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generate, type ApiJson } from '../generator/index.js';

const USAGE = `usage: vpp-binapi generate --input <dir> --output <dir> [--runtime <specifier>] [--check]

  --input     directory with *.api.json files (VPP's vppapigen JSON output)
  --output    directory to write one .ts module per schema and index.ts into
  --runtime   module the generated code imports the codec from (default @vectorplane/vpp-binapi/codec)
  --check     write nothing; exit 1 and name the files that would change`;

export function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      output: { type: 'string' },
      runtime: { type: 'string', default: '@vectorplane/vpp-binapi/codec' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals[0] !== 'generate' || !values.input || !values.output) {
    console.error(USAGE);
    return 2;
  }
  const input = values.input;
  const files = readdirSync(input)
    .filter((f) => f.endsWith('.api.json'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.api\.json$/, ''),
      json: JSON.parse(readFileSync(join(input, f), 'utf8')) as ApiJson,
    }));
  if (!files.length) {
    console.error(`no *.api.json files in ${input}`);
    return 2;
  }
  const out = generate(files, { runtimeImport: values.runtime });
  if (values.check) {
    const differ = [...out].filter(([f, text]) => {
      const p = join(values.output!, f);
      return !existsSync(p) || readFileSync(p, 'utf8') !== text;
    });
    for (const [f] of differ) console.error(`differs: ${join(values.output, f)}`);
    return differ.length ? 1 : 0;
  }
  mkdirSync(values.output, { recursive: true });
  for (const [f, text] of out) writeFileSync(join(values.output, f), text);
  console.log(`wrote ${out.size} files to ${values.output}`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
}
