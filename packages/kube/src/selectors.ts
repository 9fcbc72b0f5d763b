/** Kubernetes label and field selectors: parsing (typed errors) and matching. */
import { KubeSelectorError } from './errors.js';
import type { LabelSelector } from './resources/meta.js';

type Op = 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
interface Requirement {
  key: string;
  op: Op;
  values: string[];
}

/** A compiled selector: `matches(labels)`. */
export interface LabelMatcher {
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  readonly empty: boolean;
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?$/;

/** Parse a label selector string (`a=b,c!=d,e in (x,y),f notin (z),g,!h`). @throws KubeSelectorError */
export function parseLabelSelector(text: string): LabelMatcher {
  const reqs: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    let m: RegExpExecArray | null;
    if ((m = /^!\s*(\S+)$/.exec(part)) !== null) reqs.push({ key: m[1] as string, op: '!exists', values: [] });
    else if ((m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part)) !== null)
      reqs.push({
        key: m[1] as string,
        op: m[2] as 'in' | 'notin',
        values: (m[3] as string).split(',').map((v) => v.trim()),
      });
    else if ((m = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(part)) !== null) {
      const op = m[2] === '!=' ? '!=' : m[2] === '>' ? 'gt' : m[2] === '<' ? 'lt' : '=';
      reqs.push({ key: m[1] as string, op, values: [m[3] as string] });
    } else if ((m = /^(\S+)$/.exec(part)) !== null) reqs.push({ key: m[1] as string, op: 'exists', values: [] });
    else throw new KubeSelectorError(text, `cannot parse requirement ${JSON.stringify(part)}`);
  }
  for (const r of reqs) {
    if (!KEY.test(r.key)) throw new KubeSelectorError(text, `invalid label key ${JSON.stringify(r.key)}`);
    for (const v of r.values) {
      if (r.op === 'gt' || r.op === 'lt') {
        if (!/^-?\d+$/.test(v)) throw new KubeSelectorError(text, `${r.key}: ${JSON.stringify(v)} is not an integer`);
      } else if (!VALUE.test(v)) throw new KubeSelectorError(text, `invalid label value ${JSON.stringify(v)}`);
    }
  }
  return matcherOf(reqs);
}

function matcherOf(reqs: Requirement[]): LabelMatcher {
  return {
    empty: reqs.length === 0,
    matches(labels) {
      for (const r of reqs) {
        const has = labels !== undefined && Object.hasOwn(labels, r.key);
        const v = has ? labels[r.key] : undefined;
        switch (r.op) {
          case 'exists':
            if (!has) return false;
            break;
          case '!exists':
            if (has) return false;
            break;
          case '=':
            if (v !== r.values[0]) return false;
            break;
          case '!=':
            if (v === r.values[0]) return false;
            break;
          case 'in':
            if (v === undefined || !r.values.includes(v)) return false;
            break;
          case 'notin':
            if (v !== undefined && r.values.includes(v)) return false;
            break;
          case 'gt':
          case 'lt': {
            if (v === undefined || !/^-?\d+$/.test(v)) return false;
            const n = Number(v);
            const w = Number(r.values[0]);
            if (r.op === 'gt' ? !(n > w) : !(n < w)) return false;
          }
        }
      }
      return true;
    },
  };
}

/** Compile a metav1.LabelSelector object (matchLabels + matchExpressions); an empty one matches everything. */
export function labelSelectorMatcher(sel: LabelSelector): LabelMatcher {
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, op: '=', values: [value] });
  for (const e of sel.matchExpressions ?? []) {
    const op: Op =
      e.operator === 'In' ? 'in' : e.operator === 'NotIn' ? 'notin' : e.operator === 'Exists' ? 'exists' : '!exists';
    reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return matcherOf(reqs);
}

/** A compiled field selector: `matches(object)`. */
export interface FieldMatcher {
  matches(obj: unknown): boolean;
  readonly empty: boolean;
  /** The field paths it reads, e.g. ['spec.nodeName']. */
  readonly fields: readonly string[];
}

function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : typeof cur === 'number' || typeof cur === 'boolean' ? String(cur) : '';
}

/** Parse a field selector (`spec.nodeName=n1,metadata.name!=x`); a missing field reads as ''. @throws KubeSelectorError */
export function parseFieldSelector(text: string): FieldMatcher {
  const reqs: { path: string; neg: boolean; value: string }[] = [];
  for (const part of splitTopLevel(text)) {
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (m === null) throw new KubeSelectorError(text, `cannot parse requirement ${JSON.stringify(part)}`);
    reqs.push({ path: m[1] as string, neg: m[2] === '!=', value: (m[3] as string).trim() });
  }
  return {
    empty: reqs.length === 0,
    fields: reqs.map((r) => r.path),
    matches(obj) {
      for (const r of reqs) if ((fieldValue(obj, r.path) === r.value) === r.neg) return false;
      return true;
    },
  };
}

/** One predicate from StreamOptions' namespace + selectors. @throws KubeSelectorError */
export function objectFilter(opts: {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}): (obj: { metadata: { namespace?: string | undefined; labels?: Record<string, string> | undefined } }) => boolean {
  const labels = opts.labelSelector !== undefined ? parseLabelSelector(opts.labelSelector) : undefined;
  const fields = opts.fieldSelector !== undefined ? parseFieldSelector(opts.fieldSelector) : undefined;
  const ns = opts.namespace;
  return (obj) =>
    (ns === undefined || obj.metadata.namespace === ns) &&
    (labels === undefined || labels.matches(obj.metadata.labels)) &&
    (fields === undefined || fields.matches(obj));
}
