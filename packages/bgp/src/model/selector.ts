/**
 * Calico's selector language, as BGPPeer `nodeSelector`/`peerSelector` use it:
 * `k == 'v'`, `k != 'v'`, `has(k)`, `!has(k)`, `k in {'a','b'}`, `k not in {…}`, `all()`, `global()`,
 * `!expr`, `&&`, `||` and parentheses.
 */
export type CalicoSelector = (labels: Readonly<Record<string, string>> | undefined) => boolean;

/** A selector that cannot be parsed; `position` is the character offset of the problem. */
export class SelectorSyntaxError extends Error {
  readonly selector: string;
  readonly position: number;
  constructor(selector: string, position: number, reason: string) {
    super(`selector ${JSON.stringify(selector)}: ${reason} at ${position}`);
    this.name = 'SelectorSyntaxError';
    this.selector = selector;
    this.position = position;
  }
}

type Tok = { t: 'id' | 'str' | 'op'; v: string; p: number };

function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (['==', '!=', '&&', '||'].includes(two)) {
      out.push({ t: 'op', v: two, p: i });
      i += 2;
      continue;
    }
    if ('(){},!'.includes(c)) {
      out.push({ t: 'op', v: c, p: i });
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = s.indexOf(c, i + 1);
      if (end < 0) throw new SelectorSyntaxError(s, i, 'unterminated string');
      out.push({ t: 'str', v: s.slice(i + 1, end), p: i });
      i = end + 1;
      continue;
    }
    const m = /^[A-Za-z0-9_./-]+/.exec(s.slice(i));
    if (!m) throw new SelectorSyntaxError(s, i, `unexpected ${JSON.stringify(c)}`);
    out.push({ t: 'id', v: m[0], p: i });
    i += m[0].length;
  }
  return out;
}

/** Parse a Calico selector. An empty string selects nothing (as Calico). @throws SelectorSyntaxError */
export function parseCalicoSelector(text: string): CalicoSelector {
  if (text.trim() === '') return () => false;
  const toks = lex(text);
  let k = 0;
  const peek = () => toks[k];
  const fail = (why: string): never => {
    throw new SelectorSyntaxError(text, peek()?.p ?? text.length, why);
  };
  const expect = (v: string) => {
    const t = toks[k];
    if (!t || t.t !== 'op' || t.v !== v) fail(`expected ${v}`);
    k++;
  };
  const str = (): string => {
    const t = toks[k];
    if (!t || t.t !== 'str') fail('expected a quoted value');
    k++;
    return t!.v;
  };
  function primary(): CalicoSelector {
    const t = peek();
    if (!t) return fail('unexpected end');
    if (t.t === 'op' && t.v === '!') {
      k++;
      const inner = primary();
      return (l) => !inner(l);
    }
    if (t.t === 'op' && t.v === '(') {
      k++;
      const e = or();
      expect(')');
      return e;
    }
    if (t.t !== 'id') return fail('expected a label or function');
    k++;
    if ((t.v === 'all' || t.v === 'global' || t.v === 'has') && peek()?.v === '(') {
      k++;
      if (t.v === 'has') {
        const key = toks[k];
        if (!key || key.t !== 'id') fail('expected a label name');
        k++;
        expect(')');
        return (l) => l !== undefined && Object.prototype.hasOwnProperty.call(l, key!.v);
      }
      expect(')');
      return () => true;
    }
    const key = t.v;
    const op = peek();
    if (op?.t === 'op' && (op.v === '==' || op.v === '!=')) {
      k++;
      const v = str();
      return op.v === '==' ? (l) => l?.[key] === v : (l) => l?.[key] !== v;
    }
    let negate = false;
    if (op?.t === 'id' && op.v === 'not') {
      negate = true;
      k++;
    }
    const inTok = peek();
    if (inTok?.t === 'id' && inTok.v === 'in') {
      k++;
      expect('{');
      const vals = new Set<string>();
      if (peek()?.v !== '}') {
        vals.add(str());
        while (peek()?.v === ',') {
          k++;
          vals.add(str());
        }
      }
      expect('}');
      return negate
        ? (l) => l?.[key] === undefined || !vals.has(l[key]!)
        : (l) => l?.[key] !== undefined && vals.has(l[key]!);
    }
    return fail(`expected an operator after ${key}`);
  }
  function and(): CalicoSelector {
    let left = primary();
    while (peek()?.v === '&&') {
      k++;
      const a = left;
      const b = primary();
      left = (l) => a(l) && b(l);
    }
    return left;
  }
  function or(): CalicoSelector {
    let left = and();
    while (peek()?.v === '||') {
      k++;
      const a = left;
      const b = and();
      left = (l) => a(l) || b(l);
    }
    return left;
  }
  const sel = or();
  if (k !== toks.length) fail('unexpected trailing input');
  return sel;
}
