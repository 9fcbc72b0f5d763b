// Manifest text → documents with js-yaml (YAML 1.2 core schema), split at document markers so that one bad
// document is reported with its file, index and line while the others are kept.
import { describe, expect, it } from 'vitest';
import { parseManifests, splitDocuments } from '../src/manifests.js';

const values = (text: string, file = 'm.yaml') =>
  parseManifests(file, text).documents.map((d) => [d.document, d.value]);

describe('parseManifests (YAML)', () => {
  it('numbers documents as YAML does: a leading --- starts the first, comments alone are no document', () => {
    expect(values('a: 1\n---\nb: 2\n')).toEqual([
      [0, { a: 1 }],
      [1, { b: 2 }],
    ]);
    expect(values('# header\n---\na: 1\n---\nb: 2\n')).toEqual([
      [0, { a: 1 }],
      [1, { b: 2 }],
    ]);
    expect(values('%YAML 1.2\n--- {a: 1}\n...\n---\n\n---\nc: 3\n')).toEqual([
      [0, { a: 1 }],
      [2, { c: 3 }], // document 1 is empty
    ]);
  });

  it('reads the core schema: timestamps and dates stay strings, as the API server keeps them', () => {
    expect(values('metadata:\n  creationTimestamp: 2024-01-02T03:04:05Z\n  day: 2024-01-02\nn: 0x10\nx: ~\n')).toEqual([
      [0, { metadata: { creationTimestamp: '2024-01-02T03:04:05Z', day: '2024-01-02' }, n: 16, x: null }],
    ]);
  });

  it('a block scalar keeps its lines; a List and an array become their items', () => {
    expect(values('data:\n  script: |\n    echo ---\n    done\n')).toEqual([
      [0, { data: { script: 'echo ---\ndone\n' } }],
    ]);
    expect(values('kind: ServiceList\nitems:\n- {kind: Service}\n- {kind: Service, x: 1}\n')).toEqual([
      [0, { kind: 'Service' }],
      [0, { kind: 'Service', x: 1 }],
    ]);
  });

  it('a malformed document is an error naming the file, the document and the line of the file; the rest is kept', () => {
    const r = parseManifests('/m/bad.yaml', 'a: 1\n---\nb: 2\nc: [unclosed\n---\nd: 4\n');
    expect(r.documents.map((d) => d.value)).toEqual([{ a: 1 }, { d: 4 }]);
    expect(r.errors).toHaveLength(1);
    const e = r.errors[0] as unknown as { name: string; document: number; line: number; message: string };
    expect(e.name).toBe('KubeParseError');
    expect(e.document).toBe(1);
    expect(e.line).toBeGreaterThanOrEqual(4); // the flow sequence opened on line 4 and never closed
    expect(e.message).toContain('/m/bad.yaml');
  });

  it('refuses a document that aliases expand past a million nodes (a billion laughs), keeping the others', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    const r = parseManifests('b.yaml', `${bomb.join('\n')}\n---\nok: 1\n`);
    expect(r.documents.map((d) => d.value)).toEqual([{ ok: 1 }]);
    expect(r.errors[0]?.message).toContain('aliases');
  });

  it('JSON files are read as JSON', () => {
    expect(values('[{"a":1},{"b":2}]', 'x.json')).toEqual([
      [0, { a: 1 }],
      [1, { b: 2 }],
    ]);
  });
});

describe('splitDocuments', () => {
  it('keeps each document at its line of the file', () => {
    expect(splitDocuments('a: 1\n--- \nb: 2\n').map((d) => d.line)).toEqual([0, 1]);
  });
});
