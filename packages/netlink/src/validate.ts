/**
 * Input validation shared by the rtnetlink family modules: every check runs before a byte is sent and
 * fails with an {@link InvalidArgumentError} naming the field.
 */
import { InvalidArgumentError } from './errors.js';

export { InvalidArgumentError };

/** Checks that `v` is an integer in [min, max]; returns it. @throws InvalidArgumentError */
export function checkInt(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidArgumentError(field, v, 'must be an integer');
  if (v < min || v > max) throw new InvalidArgumentError(field, v, `must be between ${min} and ${max}`);
  return v;
}

export const U8_MAX = 0xff;
export const U16_MAX = 0xffff;
export const U32_MAX = 0xffffffff;

/**
 * Linux interface names, as the kernel's `dev_valid_name`: 1..15 bytes (IFNAMSIZ - 1), not '.' or '..', no
 * '/', ':' or whitespace (the kernel's `isspace` includes byte 0xA0, which UTF-8 uses inside characters
 * such as 'à'). NUL and other control characters are refused too: the kernel would cut the name at a NUL.
 */
export function checkLinkName(field: string, name: unknown): string {
  if (typeof name !== 'string') throw new InvalidArgumentError(field, name, 'must be a string');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/u.test(name))
    throw new InvalidArgumentError(field, name, 'must not contain NUL or control characters');
  const bytes = new TextEncoder().encode(name);
  if (bytes.length === 0 || bytes.length > 15)
    throw new InvalidArgumentError(field, name, 'must be 1 to 15 bytes long');
  if (name === '.' || name === '..') throw new InvalidArgumentError(field, name, 'is reserved');
  if (/[\s/:]/u.test(name)) throw new InvalidArgumentError(field, name, "must not contain '/', ':' or whitespace");
  if (bytes.includes(0xa0))
    throw new InvalidArgumentError(field, name, 'must not contain byte 0xa0 (whitespace to the kernel)');
  return name;
}

/** A link given by name or index; names are checked, indexes must be positive 32-bit integers. */
export function checkLinkRef(field: string, ref: unknown): string | number {
  if (typeof ref === 'number') return checkInt(field, ref, 1, 0x7fffffff);
  return checkLinkName(field, ref);
}

/** Looks a symbolic value up in `names`, or accepts an integer in [0, max]. */
export function checkNamed<K extends string>(
  field: string,
  v: unknown,
  names: Readonly<Record<K, number>>,
  max: number,
): number {
  if (typeof v === 'number') return checkInt(field, v, 0, max);
  if (typeof v === 'string' && Object.hasOwn(names, v)) return names[v as K];
  throw new InvalidArgumentError(field, v, `must be one of ${Object.keys(names).join(', ')} or an integer 0..${max}`);
}

/** Reverse lookup: the symbolic name of `n` in `names`, or `n` itself. */
export function nameOf<K extends string>(names: Readonly<Record<K, number>>, n: number): K | number {
  for (const k in names) if (names[k] === n) return k;
  return n;
}

/** Converts a list of flag names to a bit mask. @throws InvalidArgumentError on an unknown name */
export function flagsToMask<K extends string>(field: string, list: unknown, bits: Readonly<Record<K, number>>): number {
  if (list === undefined) return 0;
  if (!Array.isArray(list)) throw new InvalidArgumentError(field, list, 'must be an array of flag names');
  let mask = 0;
  for (const f of list) {
    if (typeof f !== 'string' || !Object.hasOwn(bits, f)) {
      throw new InvalidArgumentError(field, f, `unknown flag; known: ${Object.keys(bits).join(', ')}`);
    }
    mask |= bits[f as K];
  }
  return mask >>> 0;
}

/** The names of the bits set in `mask` (unknown bits are dropped). */
export function maskToFlags<K extends string>(mask: number, bits: Readonly<Record<K, number>>): K[] {
  const out: K[] = [];
  for (const k in bits) if (bits[k] !== 0 && (mask & bits[k]) === bits[k]) out.push(k);
  return out;
}

/** The slice of RtnlTransport that link-name resolution needs. */
interface LinkResolver {
  linkIndex(name: string, opts?: { readonly signal?: AbortSignal }): Promise<number>;
}

/**
 * Resolves a link reference (name or index) to an index; names are checked first and looked up through
 * `transport`, memoised in `cache` when one is given (batches resolve each name once).
 * @throws InvalidArgumentError for a malformed name or index, LinkNotFoundError from the transport
 */
export async function resolveLink(
  transport: LinkResolver,
  field: string,
  ref: unknown,
  opts: { readonly signal?: AbortSignal | undefined } = {},
  cache?: Map<string, number>,
): Promise<number> {
  const r = checkLinkRef(field, ref);
  if (typeof r === 'number') return r;
  const hit = cache?.get(r);
  if (hit !== undefined) return hit;
  const idx = await transport.linkIndex(r, opts.signal ? { signal: opts.signal } : {});
  cache?.set(r, idx);
  return idx;
}

/** Options with an optional signal, passed on without an explicit `undefined` (exactOptionalPropertyTypes). */
export function sig(opts: { readonly signal?: AbortSignal | undefined } | undefined): { signal?: AbortSignal } {
  return opts?.signal ? { signal: opts.signal } : {};
}
