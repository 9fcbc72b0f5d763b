/**
 * Policy routing rules (RTM_NEWRULE / RTM_DELRULE / RTM_GETRULE): struct fib_rule_hdr + FRA_* attributes.
 */
import {
  MessageBuilder,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  attrs,
  readS32,
  readStr,
  readU32,
  readU8,
  type NlMessage,
} from './codec/nlmsg.js';
import { afToFamily, checkFamily, familyToAf, formatIp, requirePrefix, type IpFamily, type IpPrefix } from './addr.js';
import type { CallOptions, RtnlTransport } from './transport.js';
import { InvalidArgumentError, U32_MAX, checkInt, checkLinkName, checkNamed, nameOf, sig } from './validate.js';

export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;

export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_GOTO = 4;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_FLOW = 11;
export const FRA_TUN_ID = 12;
export const FRA_SUPPRESS_IFGROUP = 13;
export const FRA_SUPPRESS_PREFIXLEN = 14;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_OIFNAME = 17;
export const FRA_L3MDEV = 19;
export const FRA_UID_RANGE = 20;
export const FRA_PROTOCOL = 21;
export const FRA_IP_PROTO = 22;
export const FRA_SPORT_RANGE = 23;
export const FRA_DPORT_RANGE = 24;

export const FIB_RULE_PERMANENT = 0x1;
export const FIB_RULE_INVERT = 0x2;
export const FIB_RULE_UNRESOLVED = 0x4;
export const FIB_RULE_IIF_DETACHED = 0x8;
export const FIB_RULE_OIF_DETACHED = 0x10;

/** FR_ACT_* by name (`table` is FR_ACT_TO_TBL). */
export const RULE_ACTIONS = {
  unspec: 0,
  table: 1,
  goto: 2,
  nop: 3,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
} as const;
export type RuleAction = keyof typeof RULE_ACTIONS;

/** A port or a `[start, end]` range. */
export type PortRange = number | readonly [number, number];

/** A rule to add or delete (delete matches the fields given). */
export interface RuleSpec {
  /** Default: the family of `src` / `dst`, else `inet`. */
  readonly family?: IpFamily;
  /** Preference (FRA_PRIORITY); the kernel picks one below the last rule when absent. */
  readonly priority?: number;
  readonly src?: string;
  readonly dst?: string;
  readonly tos?: number;
  /** Table id or `main` / `local` / `default`; default `main` on add when no other action is set. */
  readonly table?: number | 'main' | 'local' | 'default';
  /** Default `table` on add (also when `goto` is set: `goto`); any on delete. */
  readonly action?: RuleAction;
  /** Target priority of a `goto` rule. */
  readonly goto?: number;
  readonly fwmark?: number;
  readonly fwmask?: number;
  /** Input interface name (FRA_IIFNAME); `lo` matches locally generated traffic. */
  readonly iif?: string;
  readonly oif?: string;
  /** Ignore table results with a prefix length at or below this (`suppress_prefixlength`). */
  readonly suppressPrefixLength?: number;
  readonly suppressIfgroup?: number;
  /** `not`: match everything the selectors do not. */
  readonly invert?: boolean;
  readonly l3mdev?: boolean;
  readonly uidRange?: { readonly start: number; readonly end: number };
  /** IP protocol number (FRA_IP_PROTO). */
  readonly ipProto?: number;
  readonly sport?: PortRange;
  readonly dport?: PortRange;
  /** Originator (FRA_PROTOCOL). */
  readonly protocol?: number;
  /** Realm (FRA_FLOW, IPv4). */
  readonly flow?: number;
}

/** A rule as the kernel reports it. */
export interface Rule {
  readonly family: IpFamily;
  readonly priority: number;
  readonly src?: string;
  readonly dst?: string;
  readonly tos: number;
  readonly table: number;
  readonly action: RuleAction | number;
  readonly goto?: number;
  readonly fwmark?: number;
  readonly fwmask?: number;
  readonly iif?: string;
  readonly oif?: string;
  readonly suppressPrefixLength?: number;
  readonly suppressIfgroup?: number;
  readonly invert: boolean;
  readonly l3mdev?: boolean;
  readonly uidRange?: { readonly start: number; readonly end: number };
  readonly ipProto?: number;
  readonly sport?: readonly [number, number];
  readonly dport?: readonly [number, number];
  readonly protocol?: number;
  readonly flow?: number;
  /** Raw FIB_RULE_* flags. */
  readonly flagBits: number;
}

export type RuleOp = 'add' | 'delete';

function ruleFamily(spec: RuleSpec): { family: IpFamily; src?: IpPrefix; dst?: IpPrefix } {
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError('rule', spec, 'must be an object');
  let family = spec.family;
  checkFamily('family', family);
  const src = spec.src === undefined ? undefined : requirePrefix('src', spec.src, { family, network: true });
  family ??= src?.family;
  const dst = spec.dst === undefined ? undefined : requirePrefix('dst', spec.dst, { family, network: true });
  family ??= dst?.family ?? 'inet';
  return { family, ...(src && { src }), ...(dst && { dst }) };
}

function portRange(field: string, v: PortRange): Uint8Array {
  const [a, b] = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? v : [NaN, NaN];
  const start = checkInt(field, a, 0, 0xffff);
  const end = checkInt(field, b, 0, 0xffff);
  if (end < start) throw new InvalidArgumentError(field, v, 'end must not be below start');
  const out = new Uint8Array(4);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, start, true);
  dv.setUint16(2, end, true);
  return out;
}

/**
 * Encodes RTM_NEWRULE (add) or RTM_DELRULE (delete).
 * @throws InvalidArgumentError naming the bad field
 */
export function encodeRule(op: RuleOp, spec: RuleSpec): Uint8Array {
  const { family, src, dst } = ruleFamily(spec);
  const add = op === 'add';
  const table =
    spec.table === undefined
      ? undefined
      : typeof spec.table === 'string'
        ? checkNamed('table', spec.table, { main: 254, local: 255, default: 253 }, U32_MAX)
        : checkInt('table', spec.table, 1, U32_MAX);
  let action = spec.action === undefined ? undefined : checkNamed('action', spec.action, RULE_ACTIONS, 255);
  if (action === undefined && add) action = spec.goto !== undefined ? RULE_ACTIONS.goto : RULE_ACTIONS.table;
  if (spec.goto !== undefined && action !== undefined && action !== RULE_ACTIONS.goto) {
    throw new InvalidArgumentError('goto', spec.goto, "needs action 'goto'");
  }
  if (add && action === RULE_ACTIONS.goto && spec.goto === undefined) {
    throw new InvalidArgumentError('goto', spec.goto, "is required with action 'goto'");
  }
  const tableId = table ?? (add && action === RULE_ACTIONS.table ? 254 : 0);

  const hdr = new Uint8Array(12);
  hdr[0] = familyToAf(family);
  hdr[1] = dst?.prefixLen ?? 0;
  hdr[2] = src?.prefixLen ?? 0;
  hdr[3] = spec.tos === undefined ? 0 : checkInt('tos', spec.tos, 0, 255);
  hdr[4] = tableId < 256 ? tableId : 0;
  hdr[7] = action ?? 0;
  new DataView(hdr.buffer).setUint32(8, spec.invert ? FIB_RULE_INVERT : 0, true);

  const b = new MessageBuilder(
    add ? RTM_NEWRULE : RTM_DELRULE,
    NLM_F_REQUEST | (add ? NLM_F_CREATE | NLM_F_EXCL : 0),
    hdr,
    128,
  );
  if (spec.priority !== undefined) b.u32(FRA_PRIORITY, checkInt('priority', spec.priority, 0, U32_MAX));
  if (dst && dst.prefixLen > 0) b.attr(FRA_DST, dst.bytes);
  if (src && src.prefixLen > 0) b.attr(FRA_SRC, src.bytes);
  if (tableId >= 256) b.u32(FRA_TABLE, tableId);
  if (spec.goto !== undefined) b.u32(FRA_GOTO, checkInt('goto', spec.goto, 1, U32_MAX));
  if (spec.fwmark !== undefined) b.u32(FRA_FWMARK, checkInt('fwmark', spec.fwmark, 0, U32_MAX));
  if (spec.fwmask !== undefined) {
    if (spec.fwmark === undefined) throw new InvalidArgumentError('fwmask', spec.fwmask, 'needs fwmark');
    b.u32(FRA_FWMASK, checkInt('fwmask', spec.fwmask, 0, U32_MAX));
  }
  if (spec.iif !== undefined) b.str(FRA_IIFNAME, checkLinkName('iif', spec.iif));
  if (spec.oif !== undefined) b.str(FRA_OIFNAME, checkLinkName('oif', spec.oif));
  if (spec.suppressPrefixLength !== undefined) {
    b.u32(
      FRA_SUPPRESS_PREFIXLEN,
      checkInt('suppressPrefixLength', spec.suppressPrefixLength, 0, family === 'inet' ? 32 : 128),
    );
  }
  if (spec.suppressIfgroup !== undefined)
    b.u32(FRA_SUPPRESS_IFGROUP, checkInt('suppressIfgroup', spec.suppressIfgroup, 0, 0x7fffffff));
  if (spec.flow !== undefined) {
    if (family !== 'inet') throw new InvalidArgumentError('flow', spec.flow, 'is IPv4 only');
    b.u32(FRA_FLOW, checkInt('flow', spec.flow, 0, U32_MAX));
  }
  if (spec.l3mdev) b.u8(FRA_L3MDEV, 1);
  if (spec.uidRange !== undefined) {
    const u = spec.uidRange;
    if (u === null || typeof u !== 'object') throw new InvalidArgumentError('uidRange', u, 'must be { start, end }');
    const start = checkInt('uidRange.start', u.start, 0, U32_MAX);
    const end = checkInt('uidRange.end', u.end, 0, U32_MAX);
    if (end < start) throw new InvalidArgumentError('uidRange', u, 'end must not be below start');
    const v = new Uint8Array(8);
    const dv = new DataView(v.buffer);
    dv.setUint32(0, start, true);
    dv.setUint32(4, end, true);
    b.attr(FRA_UID_RANGE, v);
  }
  if (spec.protocol !== undefined) b.u8(FRA_PROTOCOL, checkInt('protocol', spec.protocol, 0, 255));
  if (spec.ipProto !== undefined) b.u8(FRA_IP_PROTO, checkInt('ipProto', spec.ipProto, 0, 255));
  if (spec.sport !== undefined) b.attr(FRA_SPORT_RANGE, portRange('sport', spec.sport));
  if (spec.dport !== undefined) b.attr(FRA_DPORT_RANGE, portRange('dport', spec.dport));
  return b.finish();
}

/** Encodes an RTM_GETRULE dump (strict dump checking allows only the family). */
export function encodeRuleDump(family?: IpFamily): Uint8Array {
  const hdr = new Uint8Array(12);
  hdr[0] = family ? familyToAf(family) : 0;
  return new MessageBuilder(RTM_GETRULE, NLM_F_REQUEST, hdr, 32).finish();
}

function range16(v: Uint8Array): [number, number] {
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  return v.length >= 4 ? [dv.getUint16(0, true), dv.getUint16(2, true)] : [0, 0];
}

/**
 * Decodes an RTM_NEWRULE / RTM_DELRULE message (dump reply or notification); `undefined` for other
 * types and families other than IPv4 / IPv6.
 */
export function decodeRule(msg: NlMessage): Rule | undefined {
  if ((msg.type !== RTM_NEWRULE && msg.type !== RTM_DELRULE) || msg.payload.length < 12) return undefined;
  const p = msg.payload;
  const family = afToFamily(p[0] ?? 0);
  if (!family) return undefined;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const flagBits = dv.getUint32(8, true);
  let table = p[4] ?? 0;
  let priority = 0;
  const r: Record<string, unknown> = {};
  for (const a of attrs(p.subarray(12))) {
    switch (a.type) {
      case FRA_PRIORITY:
        priority = readU32(a.value);
        break;
      case FRA_SRC:
        r['src'] = `${formatIp(a.value)}/${p[2] ?? 0}`;
        break;
      case FRA_DST:
        r['dst'] = `${formatIp(a.value)}/${p[1] ?? 0}`;
        break;
      case FRA_TABLE:
        table = readU32(a.value);
        break;
      case FRA_GOTO:
        r['goto'] = readU32(a.value);
        break;
      case FRA_FWMARK:
        r['fwmark'] = readU32(a.value);
        break;
      case FRA_FWMASK:
        r['fwmask'] = readU32(a.value);
        break;
      case FRA_IIFNAME:
        r['iif'] = readStr(a.value);
        break;
      case FRA_OIFNAME:
        r['oif'] = readStr(a.value);
        break;
      case FRA_SUPPRESS_PREFIXLEN: {
        const v = readS32(a.value);
        if (v >= 0) r['suppressPrefixLength'] = v;
        break;
      }
      case FRA_SUPPRESS_IFGROUP: {
        const v = readS32(a.value);
        if (v >= 0) r['suppressIfgroup'] = v;
        break;
      }
      case FRA_FLOW:
        r['flow'] = readU32(a.value);
        break;
      case FRA_L3MDEV:
        if (readU8(a.value)) r['l3mdev'] = true;
        break;
      case FRA_UID_RANGE:
        if (a.value.length >= 8) r['uidRange'] = { start: readU32(a.value), end: readU32(a.value.subarray(4)) };
        break;
      case FRA_PROTOCOL:
        r['protocol'] = readU8(a.value);
        break;
      case FRA_IP_PROTO:
        r['ipProto'] = readU8(a.value);
        break;
      case FRA_SPORT_RANGE:
        r['sport'] = range16(a.value);
        break;
      case FRA_DPORT_RANGE:
        r['dport'] = range16(a.value);
        break;
    }
  }
  return {
    family,
    priority,
    tos: p[3] ?? 0,
    table,
    action: nameOf(RULE_ACTIONS, p[7] ?? 0),
    invert: (flagBits & FIB_RULE_INVERT) !== 0,
    flagBits,
    ...r,
  } as Rule;
}

/** Policy routing rules of one namespace; reach it as `nl.rule`. */
export class RuleApi {
  constructor(private readonly transport: RtnlTransport) {}

  /** Lists rules of one family, or of IPv4 and IPv6. @throws InvalidArgumentError, NetlinkError */
  async *list(filter: { readonly family?: IpFamily } = {}, opts?: CallOptions): AsyncIterable<Rule> {
    const f = filter.family;
    checkFamily('family', f);
    for await (const msg of this.transport.dump(encodeRuleDump(f), sig(opts))) {
      const r = decodeRule(msg);
      if (!r || (f && r.family !== f)) continue;
      yield r;
    }
  }

  /** Adds a rule; EEXIST when an identical one exists. @throws InvalidArgumentError, NetlinkError */
  async add(spec: RuleSpec, opts?: CallOptions): Promise<void> {
    await this.transport.request(encodeRule('add', spec), sig(opts));
  }

  /** Deletes the first rule matching the fields given. @throws InvalidArgumentError, NetlinkError */
  async delete(spec: RuleSpec, opts?: CallOptions): Promise<void> {
    await this.transport.request(encodeRule('delete', spec), sig(opts));
  }
}
