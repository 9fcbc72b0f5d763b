import { isDeepStrictEqual, inspect } from 'node:util';
import type { ConformanceClient } from './types.js';

/** A conformance case found VPP (or the fake) behaving differently from what the case expects. */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
  constructor(
    message: string,
    readonly actual?: unknown,
    readonly expected?: unknown,
  ) {
    super(message);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- cases read replies of every shape; each field is checked at run time
export type Msg = Record<string, any>;

const show = (v: unknown): string => inspect(v, { depth: 6, breakLength: 120 });

export function check(cond: unknown, what: string, actual?: unknown): asserts cond {
  if (!cond) throw new ConformanceError(`${what}${actual === undefined ? '' : `; got ${show(actual)}`}`, actual);
}

export function equal(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected))
    throw new ConformanceError(`${what}: expected ${show(expected)}, got ${show(actual)}`, actual, expected);
}

/** Calls and returns the reply as a plain record. */
export async function call(vpp: ConformanceClient, name: string, msg: Msg = {}): Promise<Msg> {
  return (await vpp.call(name, msg)) as Msg;
}

/** Collects a dump. */
export async function dump(vpp: ConformanceClient, name: string, msg: Msg = {}): Promise<Msg[]> {
  const out: Msg[] = [];
  for await (const d of vpp.dump(name, msg)) out.push(d as Msg);
  return out;
}

/** Expects the call to fail with `retval` (the client's error carries it). */
export async function expectRetval(vpp: ConformanceClient, name: string, msg: Msg, retval: number): Promise<void> {
  let reply: unknown;
  try {
    reply = await vpp.call(name, msg);
  } catch (err) {
    const got = (err as { retval?: unknown }).retval;
    if (got === retval) return;
    throw new ConformanceError(`${name}: expected retval ${retval}, got error ${show(err)}`, got, retval);
  }
  const got = (reply as Msg | undefined)?.retval;
  if (got === retval) return;
  throw new ConformanceError(`${name}: expected retval ${retval}, got reply ${show(reply)}`, got, retval);
}

/**
 * Expects the call to fail with `retval` and returns the reply VPP sent with it (the client's error
 * carries it as `reply`), for replies that say more than their retval.
 */
export async function failedReply(vpp: ConformanceClient, name: string, msg: Msg, retval: number): Promise<Msg> {
  try {
    const reply = (await vpp.call(name, msg)) as Msg;
    if (reply?.retval === retval) return reply;
    throw new ConformanceError(`${name}: expected retval ${retval}, got reply ${show(reply)}`, reply?.retval, retval);
  } catch (err) {
    if (err instanceof ConformanceError) throw err;
    const got = (err as { retval?: unknown }).retval;
    if (got !== retval)
      throw new ConformanceError(`${name}: expected retval ${retval}, got error ${show(err)}`, got, retval);
    const reply = (err as { reply?: unknown }).reply;
    check(reply !== null && typeof reply === 'object', `${name}: the error carries the reply`, reply);
    return reply as Msg;
  }
}

/** Runs `fn`, then every cleanup in reverse order even when `fn` failed; cleanup errors are ignored. */
export async function withCleanup(fn: (defer: (c: () => Promise<unknown>) => void) => Promise<void>): Promise<void> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await fn((c) => cleanups.push(c));
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

/** A number unlikely to clash with what already exists on a shared VPP: for names, addresses, ids. */
export function nonce(max: number): number {
  return 1 + Math.floor(Math.random() * max);
}

/** Waits for the first item of `it` matching `pred`, or fails after `ms`. */
export async function waitFor<T>(it: AsyncIterator<T>, pred: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new ConformanceError(`timed out waiting for ${what}`);
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), left);
      }),
    ]);
    clearTimeout(timer);
    if (r === 'timeout') throw new ConformanceError(`timed out waiting for ${what}`);
    if (r.done) throw new ConformanceError(`stream ended while waiting for ${what}`);
    if (pred(r.value)) return r.value;
  }
}
