/**
 * What the npol backend has programmed, kept in a state file so that a restarted agent can adopt it:
 * VPP's npol API has no dumps, so without this file the previous run's ipsets, rules and policies are
 * invisible (leaked) and interfaces keep pointing at them until reconfigured.
 *
 * The file is trusted only when it describes the VPP we talk to now and is exact:
 * - **Which VPP**: `vpe_pid` (control_ping_reply) and a random marker the backend puts in local0's tag
 *   (`sw_interface_tag_add_del`; tags live in VPP's memory, so a restarted VPP has none). The marker is
 *   the strong part: a VPP restarted in a container often gets the same pid.
 * - **Exact**: written between batches (no npol call in flight), atomically (temporary file, rename).
 *   Before the first npol call that follows a write, a `<file>.dirty` sentinel is created (synchronously);
 *   a later write removes it when no call was sent after its snapshot. An agent that dies in between
 *   leaves the sentinel: VPP may then hold objects the file does not know, so the file is not used.
 *
 * No fsync: the file only has to survive the agent process, not the machine (a machine that restarts
 * restarts VPP, which makes the file void anyway).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PolicyStateError } from '../errors.js';
import { parseMember, type IpSetMember, type IpSetType } from '../model.js';
import type { PolicyLogger, PolicyVpp } from '../types.js';

export const NPOL_STATE_VERSION = 1;
export const NPOL_STATE_KIND = 'vectorplane-npol-state';
/** Prefix of the marker put in local0's tag. */
export const NPOL_MARKER_PREFIX = 'vp-npol:';
/** Default state file (the agent passes one under its state directory). */
export const DEFAULT_NPOL_STATE_PATH = '/var/lib/vectorplane/policies-npol.json';
/** Default delay between the first npol call after a write and the next write (calls in it are coalesced). */
export const DEFAULT_NPOL_STATE_DELAY_MS = 200;

/** Which VPP instance the objects live in. */
export interface NpolVppIdentity {
  readonly pid: number;
  /** The marker in local0's tag; null when VPP refused it (then nothing is ever adopted). */
  readonly marker: string | null;
}

/** The state file's content (version 1). */
export interface NpolStateFile {
  readonly kind: typeof NPOL_STATE_KIND;
  readonly version: typeof NPOL_STATE_VERSION;
  readonly writtenAt: string;
  readonly vpp: NpolVppIdentity;
  /** ipset name → VPP set id, model type and member texts. */
  readonly ipsets: Record<string, { setId: number; type: IpSetType; members: string[] }>;
  /** [rule id, rule content (the npol_rule sent)]. */
  readonly rules: [number, unknown][];
  /** policy key → VPP policy id and its rule ids in order, with their direction. */
  readonly policies: Record<string, { policyId: number; rules: number[]; inbound: boolean[] }>;
  /** sw_if_index → the npol_configure_policies request sent. */
  readonly interfaces: Record<string, unknown>;
  /**
   * sw_if_index → what VPP called that interface (name, tag, MAC), to notice an index that was deleted
   * (npol unconfigures it) and given to a new interface while the agent was away.
   */
  readonly interfaceNames: Record<string, string>;
}

/** The state file, parsed and checked. */
export interface LoadedNpolState {
  readonly vpp: NpolVppIdentity;
  readonly ipsets: Map<string, { setId: number; type: IpSetType; members: Map<string, IpSetMember> }>;
  readonly rules: Map<number, string>;
  readonly policies: Map<string, { policyId: number; rules: number[]; inbound: boolean[] }>;
  readonly interfaces: Map<number, string>;
  readonly interfaceNames: Map<number, string>;
}

const isUint = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 0xffffffff;
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Parses and checks a state file's text.
 * @throws PolicyStateError naming the bad field.
 */
export function parseNpolState(file: string, text: string): LoadedNpolState {
  const bad = (field: string, detail: string): never => {
    throw new PolicyStateError(file, field, detail);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PolicyStateError(file, '(file)', `not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!isRecord(raw)) return bad('(file)', 'not an object');
  if (raw.kind !== NPOL_STATE_KIND) bad('kind', `expected "${NPOL_STATE_KIND}", got ${JSON.stringify(raw.kind)}`);
  if (raw.version !== NPOL_STATE_VERSION)
    bad('version', `expected ${NPOL_STATE_VERSION}, got ${JSON.stringify(raw.version)}`);
  const vpp = raw.vpp;
  if (!isRecord(vpp)) return bad('vpp', 'not an object');
  if (!isUint(vpp.pid)) bad('vpp.pid', 'not a pid');
  if (vpp.marker !== null && typeof vpp.marker !== 'string') bad('vpp.marker', 'not a string or null');

  const ipsets: LoadedNpolState['ipsets'] = new Map();
  if (!isRecord(raw.ipsets)) return bad('ipsets', 'not an object');
  for (const [name, v] of Object.entries(raw.ipsets)) {
    const at = `ipsets.${JSON.stringify(name)}`;
    if (!isRecord(v)) return bad(at, 'not an object');
    if (!isUint(v.setId)) bad(`${at}.setId`, 'not an id');
    if (v.type !== 'ip' && v.type !== 'ip-port' && v.type !== 'net') bad(`${at}.type`, 'not ip, ip-port or net');
    if (!Array.isArray(v.members)) return bad(`${at}.members`, 'not a list');
    const type = v.type as IpSetType;
    const members = new Map<string, IpSetMember>();
    v.members.forEach((t: unknown, i) => {
      const m = typeof t === 'string' ? parseMember(type, t) : undefined;
      if (!m) bad(`${at}.members[${i}]`, `${JSON.stringify(t)} is not a valid ${type} member`);
      else members.set(m.text, m);
    });
    ipsets.set(name, { setId: v.setId as number, type, members });
  }

  const rules = new Map<number, string>();
  const contents = new Set<string>();
  if (!Array.isArray(raw.rules)) return bad('rules', 'not a list');
  raw.rules.forEach((r: unknown, i) => {
    if (!Array.isArray(r) || r.length !== 2 || !isUint(r[0]) || !isRecord(r[1]))
      return bad(`rules[${i}]`, 'not [id, rule]');
    // the content as the backend compares it: JSON.stringify of what it sent (a round trip keeps it)
    const json = JSON.stringify(r[1]);
    if (rules.has(r[0])) bad(`rules[${i}]`, `rule id ${r[0]} listed twice`);
    if (contents.has(json)) bad(`rules[${i}]`, 'the same content listed twice');
    contents.add(json);
    rules.set(r[0], json);
  });

  const policies: LoadedNpolState['policies'] = new Map();
  if (!isRecord(raw.policies)) return bad('policies', 'not an object');
  const policyIds = new Set<number>();
  for (const [key, v] of Object.entries(raw.policies)) {
    const at = `policies.${JSON.stringify(key)}`;
    if (!isRecord(v)) return bad(at, 'not an object');
    if (!isUint(v.policyId)) bad(`${at}.policyId`, 'not an id');
    if (policyIds.has(v.policyId as number)) bad(`${at}.policyId`, `policy id ${String(v.policyId)} listed twice`);
    policyIds.add(v.policyId as number);
    if (!Array.isArray(v.rules) || !Array.isArray(v.inbound) || v.rules.length !== v.inbound.length)
      return bad(at, 'rules and inbound must be lists of the same length');
    v.rules.forEach((id: unknown, i) => {
      if (!isUint(id) || !rules.has(id)) bad(`${at}.rules[${i}]`, `${JSON.stringify(id)} is not a rule of the file`);
    });
    v.inbound.forEach((b: unknown, i) => {
      if (typeof b !== 'boolean') bad(`${at}.inbound[${i}]`, 'not a boolean');
    });
    policies.set(key, { policyId: v.policyId as number, rules: v.rules as number[], inbound: v.inbound as boolean[] });
  }

  const interfaces = new Map<number, string>();
  if (!isRecord(raw.interfaces)) return bad('interfaces', 'not an object');
  for (const [sw, v] of Object.entries(raw.interfaces)) {
    const n = Number(sw);
    if (!isUint(n) || String(n) !== sw) bad(`interfaces.${JSON.stringify(sw)}`, 'not an interface index');
    if (!isRecord(v)) bad(`interfaces.${sw}`, 'not a request');
    interfaces.set(n, JSON.stringify(v));
  }
  const interfaceNames = new Map<number, string>();
  if (!isRecord(raw.interfaceNames)) return bad('interfaceNames', 'not an object');
  for (const [sw, v] of Object.entries(raw.interfaceNames)) {
    if (typeof v !== 'string' || !isUint(Number(sw)))
      bad(`interfaceNames.${JSON.stringify(sw)}`, 'not an interface index and name');
    interfaceNames.set(Number(sw), v as string);
  }
  return {
    vpp: { pid: vpp.pid as number, marker: vpp.marker as string | null },
    ipsets,
    rules,
    policies,
    interfaces,
    interfaceNames,
  };
}

/**
 * Reads which VPP this is: its pid, and the marker in local0's tag (set now when local0 has none of ours).
 * The marker is null when VPP refuses the tag.
 */
export async function npolVppIdentity(
  vpp: PolicyVpp,
  logger: PolicyLogger | undefined,
  signal?: AbortSignal,
): Promise<NpolVppIdentity> {
  const opts = signal ? { signal } : {};
  const ping = await vpp.call('control_ping', {}, opts);
  let tag = '';
  try {
    for await (const d of vpp.dump(
      'sw_interface_dump',
      { sw_if_index: 0, name_filter_valid: false, name_filter: '' },
      opts,
    ))
      if (d.sw_if_index === 0) tag = d.tag;
    if (tag.startsWith(NPOL_MARKER_PREFIX)) return { pid: ping.vpe_pid, marker: tag };
    const marker = `${NPOL_MARKER_PREFIX}${randomBytes(12).toString('hex')}`;
    await vpp.call('sw_interface_tag_add_del', { is_add: true, sw_if_index: 0, tag: marker }, opts);
    return { pid: ping.vpe_pid, marker };
  } catch (e) {
    if (signal?.aborted) throw e;
    logger?.warn(
      { err: e },
      'npol state: cannot read or set the VPP marker on local0; npol objects will not be adopted after a restart',
    );
    return { pid: ping.vpe_pid, marker: null };
  }
}

/** Why a state file was not adopted. */
export type NpolStateRejection = 'missing' | 'invalid' | 'unclean' | 'other-vpp' | 'no-marker';

export interface NpolStateStoreInit {
  readonly path: string;
  readonly delayMs: number;
  readonly logger: PolicyLogger | undefined;
  /** Reads what the snapshot needs from VPP (outside the batches: it only reads). */
  readonly prepare?: () => Promise<void>;
  /**
   * The file's body as JSON members (`"ipsets":…,"interfaceNames":…`, no braces); called between batches
   * (no npol call in flight), synchronously.
   */
  readonly snapshot: () => string;
  /** Runs `fn` between batches (the programmer's serial queue). */
  readonly quiesce: <T>(fn: () => Promise<T> | T) => Promise<T>;
}

/** The state file's writer: coalesced, atomic, with the dirty sentinel. */
export class NpolStateStore {
  readonly #init: NpolStateStoreInit;
  readonly #dirtyPath: string;
  #identity: NpolVppIdentity | undefined;
  /** npol calls sent so far (compared with the count a snapshot saw). */
  #gen = 0;
  #sentinel: boolean;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> | undefined;
  #written = 0;
  #failed = false;
  #closed = false;

  constructor(init: NpolStateStoreInit) {
    this.#init = init;
    this.#dirtyPath = `${init.path}.dirty`;
    this.#sentinel = existsSync(this.#dirtyPath);
  }

  /** State files written so far. */
  get writes(): number {
    return this.#written;
  }

  /**
   * Loads the state file for `identity`: the objects when it describes this VPP and is exact, else why not.
   * A bad file comes back as `invalid` with its PolicyStateError.
   */
  async load(
    identity: NpolVppIdentity,
  ): Promise<{ state: LoadedNpolState } | { rejected: NpolStateRejection; error?: PolicyStateError; detail: string }> {
    this.#identity = identity;
    const file = this.#init.path;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        return { rejected: 'missing', detail: `${file} does not exist` };
      const error = new PolicyStateError(file, '(file)', `cannot read: ${(e as Error).message}`, { cause: e });
      return { rejected: 'invalid', error, detail: error.message };
    }
    let state: LoadedNpolState;
    try {
      state = parseNpolState(file, text);
    } catch (e) {
      const error = e as PolicyStateError;
      return { rejected: 'invalid', error, detail: error.message };
    }
    if (this.#sentinel)
      return {
        rejected: 'unclean',
        detail: `${this.#dirtyPath} exists: the previous run stopped with npol calls the file does not record`,
      };
    if (identity.marker === null) return { rejected: 'no-marker', detail: 'VPP refused the marker on local0' };
    if (state.vpp.marker !== identity.marker || state.vpp.pid !== identity.pid)
      return {
        rejected: 'other-vpp',
        detail: `the file is for VPP pid ${state.vpp.pid} marker ${String(state.vpp.marker)}, this is pid ${identity.pid} marker ${identity.marker}`,
      };
    return { state };
  }

  /** A new VPP (restart): the next write records this identity. */
  setIdentity(identity: NpolVppIdentity): void {
    this.#identity = identity;
  }

  /** Called before every npol request that changes VPP: makes sure the sentinel exists, schedules a write. */
  touch(): void {
    this.#gen++;
    if (!this.#sentinel && !this.#failed) {
      try {
        mkdirSync(dirname(this.#dirtyPath), { recursive: true });
        writeFileSync(this.#dirtyPath, `${process.pid}\n`);
        this.#sentinel = true;
      } catch (e) {
        this.#fail(e);
      }
    }
    if (!this.#timer && !this.#writing && !this.#closed && !this.#failed)
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.#init.delayMs);
  }

  /** Writes now if anything changed since the last write (between batches). Never throws. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#writing) await this.#writing;
    if (this.#failed || !this.#identity || !this.#sentinel) return;
    const w = (async () => {
      // the names dump waits for the batch that triggered the write to end: it must not slow it down
      await this.#init.quiesce(() => undefined);
      await this.#init.prepare?.();
      const snap = await this.#init.quiesce(() => ({ body: this.#init.snapshot(), gen: this.#gen }));
      const head = JSON.stringify({
        kind: NPOL_STATE_KIND,
        version: NPOL_STATE_VERSION,
        writtenAt: new Date().toISOString(),
        vpp: this.#identity!,
      } satisfies Pick<NpolStateFile, 'kind' | 'version' | 'writtenAt' | 'vpp'>);
      await this.#write({ text: `${head.slice(0, -1)},${snap.body}}`, gen: snap.gen });
    })();
    this.#writing = w;
    try {
      await w;
    } finally {
      this.#writing = undefined;
    }
    // calls sent while writing: another write later
    if (this.#sentinel && !this.#closed) this.touchLater();
  }

  private touchLater() {
    if (!this.#timer && !this.#failed)
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.#init.delayMs);
  }

  /** Final write (stop); no timers afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #write(s: { text: string; gen: number }): Promise<void> {
    const file = this.#init.path;
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(tmp, s.text);
      await rename(tmp, file);
      this.#written++;
      if (s.gen === this.#gen) {
        // nothing was sent after this snapshot: the file is exact
        unlinkSync(this.#dirtyPath);
        this.#sentinel = false;
      }
    } catch (e) {
      this.#fail(e);
    }
  }

  #fail(e: unknown) {
    if (this.#failed) return;
    this.#failed = true;
    // a file left from an earlier write would describe VPP as it was: it must not be adopted later
    try {
      unlinkSync(this.#init.path);
    } catch {
      // nothing there, or not removable either (then the sentinel decides, when it exists)
    }
    this.#init.logger?.warn(
      { err: e, file: this.#init.path },
      'npol state: cannot write the state file; a restarted agent will program npol from scratch',
    );
  }
}
