/** Kubernetes label selectors (metav1.LabelSelector): validation with paths, and matching. */
import type { PolicyIssue } from '../errors.js';

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | undefined;
}
export interface Selector {
  readonly matchLabels?: Readonly<Record<string, string>> | undefined;
  readonly matchExpressions?: readonly SelectorRequirement[] | undefined;
}

const NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Checks a selector as the API server would; one issue per bad field. */
export function validateSelector(sel: Selector, object: string, path: string): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const bad = (p: string, message: string) =>
    issues.push({ code: 'invalid-selector', object, path: `${path}.${p}`, message });
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (!NAME.test(k)) bad(`matchLabels.${k}`, `"${k}" is not a valid label key`);
    if (typeof v !== 'string' || !VALUE.test(v)) bad(`matchLabels.${k}`, `"${String(v)}" is not a valid label value`);
  }
  (sel.matchExpressions ?? []).forEach((r, i) => {
    if (!NAME.test(r.key ?? '')) bad(`matchExpressions[${i}].key`, `"${String(r.key)}" is not a valid label key`);
    const op = r.operator;
    if (op === 'In' || op === 'NotIn') {
      if (!r.values?.length) bad(`matchExpressions[${i}].values`, `operator ${op} needs at least one value`);
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (r.values?.length) bad(`matchExpressions[${i}].values`, `operator ${op} takes no values`);
    } else bad(`matchExpressions[${i}].operator`, `unknown operator "${String(op)}"`);
  });
  return issues;
}

/** Whether `labels` satisfy the selector (an empty selector matches everything). */
export function selectorMatches(sel: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const r of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.operator) {
      case 'In':
        if (!has || !r.values!.includes(l[r.key]!)) return false;
        break;
      case 'NotIn':
        if (has && r.values!.includes(l[r.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A canonical text of a selector (sorted), for ids. */
export function canonicalSelector(sel: Selector | undefined): string {
  if (!sel) return '-';
  const ml = Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const me = (sel.matchExpressions ?? [])
    .map((r) => `${r.key} ${r.operator} ${[...(r.values ?? [])].sort().join(',')}`)
    .sort();
  return JSON.stringify([ml, me]);
}
