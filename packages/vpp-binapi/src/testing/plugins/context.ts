import { canonicalAddress } from '../ip.js';
import type { FakeVppState } from '../state.js';

/** A decoded message: VPP field names, the codec's value conventions. */
export type Msg = Record<string, unknown>;

/** What a handler can do while answering one request. */
export interface HandlerContext {
  readonly state: FakeVppState;
  /** Client index VPP gave this connection. */
  readonly clientIndex: number;
  readonly vppVersion: string;
  readonly buildDate: string;
  readonly pid: number;
  /** Sends the request's reply (its service's reply message) with the request's context. */
  reply(fields?: Msg): void;
  /** Sends one message of a stream (details) with the request's context. */
  details(name: string, fields: Msg): void;
  /** Registers or removes this connection for `sw_interface_event`; returns the retval. */
  wantInterfaceEvents(enable: boolean, pid: number): number;
}

export type Handler = (ctx: HandlerContext, msg: Msg) => void;

/**
 * One VPP plugin (or vnet module) the fake imitates: the `.api` modules whose requests it answers and
 * its handlers by request name. Its state lives on {@link FakeVppState} (`state.<plugin>`).
 */
export interface FakePlugin {
  /** VPP's name for the plugin or vnet module, e.g. `'acl'`, `'ip-neighbor'`. */
  readonly name: string;
  /** Where its behaviour comes from in VPP's tree (for readers checking it). */
  readonly source: string;
  readonly handlers: Readonly<Record<string, Handler>>;
}

export const num = (m: Msg, k: string): number => {
  const v = m[k];
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? Number(v) : 0;
};
export const str = (m: Msg, k: string): string => (typeof m[k] === 'string' ? (m[k] as string) : '');
export const bool = (m: Msg, k: string): boolean => Boolean(m[k]);
export const obj = (m: Msg, k: string): Msg => {
  const v = m[k];
  return v !== null && typeof v === 'object' ? (v as Msg) : {};
};
export const arr = (m: Msg, k: string): Msg[] => (Array.isArray(m[k]) ? (m[k] as Msg[]) : []);
/** A u32 that VPP reads as "~0 = any/none" when absent from the request. */
export const u32OrAny = (m: Msg, k: string): number => (m[k] === undefined ? 0xffffffff : num(m, k));

/** The canonical text of an address, or the text as received when it does not parse. */
export function canonicalOrAsReceived(text: string): string {
  try {
    return canonicalAddress(text);
  } catch {
    return text;
  }
}

/** A random locally administered MAC starting with the two given bytes. */
export function randomMac(first: number, second: number): string {
  const b = [first, second, ...Array.from({ length: 4 }, () => Math.floor(Math.random() * 256))];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** True when `mac` is absent or all zero (VPP then picks one). */
export function isZeroMac(mac: string): boolean {
  return !mac || /^(0{1,2}[:-]){5}0{1,2}$/.test(mac);
}

/** Handlers that answer `retval` for a bad `sw_if_index` (VPP's VALIDATE_SW_IF_INDEX) before running `fn`. */
export function withInterface(fn: Handler, field = 'sw_if_index'): Handler {
  return (ctx, m) => {
    if (!ctx.state.interfaces.has(num(m, field))) ctx.reply({ retval: -2 });
    else fn(ctx, m);
  };
}
