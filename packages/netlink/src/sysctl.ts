/**
 * Network sysctls of one namespace (`/proc/sys/net/…`). The files under /proc/sys/net belong to the
 * namespace of the thread that opens them, so for another namespace the file is opened by the addon on a
 * helper thread inside it (`openIn`); the process itself never changes namespace.
 */
import { close, existsSync, read, readFile, write, writeFile } from 'node:fs';
import { promisify } from 'node:util';
import { constants as fsConstants } from 'node:fs';
import { NetnsNotFoundError, SysctlError } from './errors.js';
import { netnsPath, type NetnsRef } from './netns.js';
import { native } from './native.js';
import type { CallOptions } from './transport.js';
import { InvalidArgumentError, checkLinkName } from './validate.js';

const readAsync = promisify(read);
const writeAsync = promisify(write);
const closeAsync = promisify(close);
const readFileAsync = promisify(readFile);
const writeFileAsync = promisify(writeFile);

/** Root of the sysctl tree. */
export const PROC_SYS = '/proc/sys';
/** The longest value read back; network sysctls are short. */
const MAX_VALUE_BYTES = 64 * 1024;

/** IP family as the sysctl tree names it. */
export type SysctlFamily = 'inet' | 'inet6';

/** Interface directory under `conf/`: a link name, or `all` / `default`. */
export type SysctlIface = 'all' | 'default' | (string & {});

/** Reverse-path filter modes (`net/ipv4/conf/<x>/rp_filter`): 0 off, 1 strict, 2 loose. */
export const RP_FILTER = { off: 0, strict: 1, loose: 2 } as const;
export type RpFilter = keyof typeof RP_FILTER;

/** Where sysctl file contents come from; the default reads /proc/sys (inside the namespace when one is named). */
export interface SysctlComponents {
  /** Reads the file of `key` (e.g. `net/ipv4/ip_forward`) and returns its text. */
  read(key: string, opts: CallOptions): Promise<string>;
  /** Writes `value` (already formatted, without newline) to the file of `key`. */
  write(key: string, value: string, opts: CallOptions): Promise<void>;
}

/** Options of {@link Sysctl}. */
export interface SysctlInit {
  /** Namespace: a name under /run/netns, `{ path }`, or undefined for the current one (default). */
  readonly netns?: NetnsRef;
}

/**
 * Checks a sysctl key and returns it in slash form: `net/ipv4/ip_forward`. Dotted keys
 * (`net.ipv4.ip_forward`) are accepted when they contain no '/' (then an interface name with a dot
 * cannot be expressed; use the slash form). Only keys under `net/` are allowed.
 * @throws InvalidArgumentError (field `path`)
 */
export function checkSysctlKey(key: unknown, field = 'path'): string {
  if (typeof key !== 'string' || key.length === 0)
    throw new InvalidArgumentError(field, key, 'must be a non-empty string');
  if (key.length > 512) throw new InvalidArgumentError(field, key, 'must be at most 512 characters');
  if (key.includes('\0')) throw new InvalidArgumentError(field, key, 'must not contain NUL');
  if (key.startsWith('/')) throw new InvalidArgumentError(field, key, "must be relative to /proc/sys (no leading '/')");
  const slash = key.includes('/') ? key : key.replaceAll('.', '/');
  const parts = slash.split('/');
  for (const p of parts) {
    if (p === '') throw new InvalidArgumentError(field, key, 'must not contain empty segments');
    if (p === '.' || p === '..') throw new InvalidArgumentError(field, key, "must not contain '.' or '..' segments");
    if (/\s/u.test(p)) throw new InvalidArgumentError(field, key, 'must not contain whitespace');
  }
  if (parts[0] !== 'net' || parts.length < 2) throw new InvalidArgumentError(field, key, "must be under 'net/'");
  return slash;
}

/** Formats a value for a sysctl file: booleans as 1/0, integers as decimal, arrays space-separated. */
export function formatSysctlValue(value: unknown, field = 'value'): string {
  const one = (v: unknown): string => {
    if (typeof v === 'boolean') return v ? '1' : '0';
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(field, value, 'must be an integer');
      return String(v);
    }
    if (typeof v === 'string') {
      if (/[\n\0]/u.test(v)) throw new InvalidArgumentError(field, value, 'must not contain a newline or NUL');
      return v;
    }
    throw new InvalidArgumentError(field, value, 'must be a string, integer, boolean or an array of them');
  };
  return Array.isArray(value) ? value.map(one).join(' ') : one(value);
}

/** Parses an integer sysctl value. @throws SysctlError (code 'EPROTO') when the file holds something else */
export function parseSysctlInt(key: string, text: string): number {
  const t = text.trim();
  if (!/^-?\d+$/u.test(t))
    throw new SysctlError({ key, op: 'read', code: 'EPROTO', message: `not an integer: '${t}'` });
  return Number(t);
}

function checkIface(iface: unknown, field = 'iface'): string {
  if (iface === 'all' || iface === 'default') return iface;
  return checkLinkName(field, iface);
}

function checkFamily(family: unknown): 'ipv4' | 'ipv6' {
  if (family === 'inet') return 'ipv4';
  if (family === 'inet6') return 'ipv6';
  throw new InvalidArgumentError('family', family, "must be 'inet' or 'inet6'");
}

function fsError(e: unknown, key: string, op: 'read' | 'write'): SysctlError {
  const err = e as { code?: unknown; errno?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : 'EIO';
  return new SysctlError(
    { key, op, code, errno: typeof err?.errno === 'number' ? Math.abs(err.errno) : undefined },
    { cause: e },
  );
}

/** Reads and writes /proc/sys files directly (current namespace) or through the addon's `openIn`. */
function procComponents(path: string, netns: NetnsRef): SysctlComponents {
  if (path === '') {
    return {
      async read(key, opts) {
        opts.signal?.throwIfAborted();
        try {
          return await readFileAsync(`${PROC_SYS}/${key}`, 'utf8');
        } catch (e) {
          throw fsError(e, key, 'read');
        }
      },
      async write(key, value, opts) {
        opts.signal?.throwIfAborted();
        try {
          await writeFileAsync(`${PROC_SYS}/${key}`, `${value}\n`, { flag: 'w' });
        } catch (e) {
          throw fsError(e, key, 'write');
        }
      },
    };
  }
  const openIn = async (key: string, flags: number, op: 'read' | 'write'): Promise<number> => {
    try {
      return await native().openIn(path, `${PROC_SYS}/${key}`, flags, 0);
    } catch (e) {
      if ((e as { name?: unknown }).name === 'NativeAddonError') throw e;
      if ((e as { code?: unknown }).code === 'ENOENT' && !existsSync(path)) {
        throw new NetnsNotFoundError(typeof netns === 'string' ? netns : path, { cause: e });
      }
      throw fsError(e, key, op);
    }
  };
  return {
    async read(key, opts) {
      opts.signal?.throwIfAborted();
      const fd = await openIn(key, fsConstants.O_RDONLY, 'read');
      try {
        const chunks: Buffer[] = [];
        let total = 0;
        for (;;) {
          const buf = Buffer.alloc(4096);
          const { bytesRead } = await readAsync(fd, buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          chunks.push(buf.subarray(0, bytesRead));
          total += bytesRead;
          if (total > MAX_VALUE_BYTES) break;
        }
        return Buffer.concat(chunks).toString('utf8');
      } catch (e) {
        throw fsError(e, key, 'read');
      } finally {
        await closeAsync(fd).catch(() => undefined);
      }
    },
    async write(key, value, opts) {
      opts.signal?.throwIfAborted();
      const fd = await openIn(key, fsConstants.O_WRONLY, 'write');
      try {
        // One write call: proc sysctl handlers parse what a single write hands them.
        const data = Buffer.from(`${value}\n`);
        await writeAsync(fd, data, 0, data.length, null);
      } catch (e) {
        throw fsError(e, key, 'write');
      } finally {
        await closeAsync(fd).catch(() => undefined);
      }
    },
  };
}

/**
 * Network sysctls of one namespace: typed helpers for forwarding, rp_filter, disable_ipv6 and accept_ra,
 * and `get` / `set` for any key under `net/`.
 *
 * @example
 * const sysctl = new Sysctl({ netns: 'blue' });
 * await sysctl.setForwarding('inet', 'all', true);
 */
export class Sysctl {
  /** Namespace file path ('' = the namespace of the process). */
  readonly netnsPath: string;
  readonly #io: SysctlComponents;

  /** @throws InvalidArgumentError for a malformed namespace name */
  constructor(init: SysctlInit = {}, components?: SysctlComponents) {
    this.netnsPath = netnsPath(init.netns);
    this.#io = components ?? procComponents(this.netnsPath, init.netns);
  }

  /**
   * Reads a key (`net/ipv4/ip_forward` or `net.ipv4.ip_forward`) and returns its text, trimmed.
   * @throws InvalidArgumentError (field `path`), SysctlError ('ENOENT' for an unknown key), NetnsNotFoundError,
   *   NativeAddonError
   */
  async get(path: string, opts: CallOptions = {}): Promise<string> {
    const key = checkSysctlKey(path);
    return (await this.#io.read(key, opts)).trim();
  }

  /**
   * Reads an integer key. @throws InvalidArgumentError, SysctlError ('EPROTO' when not an integer)
   */
  async getInt(path: string, opts: CallOptions = {}): Promise<number> {
    const key = checkSysctlKey(path);
    return parseSysctlInt(key, await this.#io.read(key, opts));
  }

  /**
   * Writes a key: booleans become 1/0, integers decimal, arrays space-separated.
   * @throws InvalidArgumentError (fields `path`, `value`), SysctlError ('EINVAL' when the kernel refuses the value)
   */
  async set(
    path: string,
    value: string | number | boolean | readonly (string | number)[],
    opts: CallOptions = {},
  ): Promise<void> {
    const key = checkSysctlKey(path);
    await this.#io.write(key, formatSysctlValue(value), opts);
  }

  /** `net/ipv4/ip_forward`: IPv4 forwarding of the whole namespace. */
  async getIpForward(opts?: CallOptions): Promise<boolean> {
    return (await this.getInt('net/ipv4/ip_forward', opts)) !== 0;
  }

  /** Sets `net/ipv4/ip_forward` (the kernel copies it to every `conf/<x>/forwarding`). */
  async setIpForward(on: boolean, opts?: CallOptions): Promise<void> {
    await this.set('net/ipv4/ip_forward', checkBool('on', on), opts);
  }

  /** `net/<ipv4|ipv6>/conf/<iface>/forwarding`; iface defaults to `all`. */
  async getForwarding(family: SysctlFamily, iface: SysctlIface = 'all', opts?: CallOptions): Promise<boolean> {
    return (await this.getInt(confKey(family, iface, 'forwarding'), opts)) !== 0;
  }

  /** Sets `net/<ipv4|ipv6>/conf/<iface>/forwarding`. */
  async setForwarding(family: SysctlFamily, iface: SysctlIface, on: boolean, opts?: CallOptions): Promise<void> {
    await this.set(confKey(family, iface, 'forwarding'), checkBool('on', on), opts);
  }

  /**
   * `net/ipv4/conf/<iface>/rp_filter` as `off` / `strict` / `loose` (the kernel applies the maximum of
   * `all` and the interface's value).
   */
  async getRpFilter(iface: SysctlIface = 'all', opts?: CallOptions): Promise<RpFilter> {
    const key = confKey('inet', iface, 'rp_filter');
    const v = await this.getInt(key, opts);
    const name = (Object.keys(RP_FILTER) as RpFilter[]).find((k) => RP_FILTER[k] === v);
    if (!name) throw new SysctlError({ key, op: 'read', code: 'EPROTO', message: `unknown rp_filter value ${v}` });
    return name;
  }

  /** Sets `net/ipv4/conf/<iface>/rp_filter`. @throws InvalidArgumentError (field `mode`) */
  async setRpFilter(iface: SysctlIface, mode: RpFilter, opts?: CallOptions): Promise<void> {
    if (typeof mode !== 'string' || !Object.hasOwn(RP_FILTER, mode)) {
      throw new InvalidArgumentError('mode', mode, `must be one of ${Object.keys(RP_FILTER).join(', ')}`);
    }
    await this.set(confKey('inet', iface, 'rp_filter'), RP_FILTER[mode], opts);
  }

  /** `net/ipv6/conf/<iface>/disable_ipv6`. */
  async getDisableIpv6(iface: SysctlIface = 'all', opts?: CallOptions): Promise<boolean> {
    return (await this.getInt(confKey('inet6', iface, 'disable_ipv6'), opts)) !== 0;
  }

  /** Sets `net/ipv6/conf/<iface>/disable_ipv6` (true removes the interface's IPv6 addresses). */
  async setDisableIpv6(iface: SysctlIface, disabled: boolean, opts?: CallOptions): Promise<void> {
    await this.set(confKey('inet6', iface, 'disable_ipv6'), checkBool('disabled', disabled), opts);
  }

  /** `net/ipv6/conf/<iface>/accept_ra`: 0 never, 1 when not forwarding, 2 even when forwarding. */
  async getAcceptRa(iface: SysctlIface = 'all', opts?: CallOptions): Promise<0 | 1 | 2> {
    const key = confKey('inet6', iface, 'accept_ra');
    const v = await this.getInt(key, opts);
    if (v !== 0 && v !== 1 && v !== 2)
      throw new SysctlError({ key, op: 'read', code: 'EPROTO', message: `unknown accept_ra value ${v}` });
    return v;
  }

  /** Sets `net/ipv6/conf/<iface>/accept_ra`. @throws InvalidArgumentError (field `mode`) */
  async setAcceptRa(iface: SysctlIface, mode: 0 | 1 | 2, opts?: CallOptions): Promise<void> {
    if (mode !== 0 && mode !== 1 && mode !== 2) throw new InvalidArgumentError('mode', mode, 'must be 0, 1 or 2');
    await this.set(confKey('inet6', iface, 'accept_ra'), mode, opts);
  }
}

/** The key `net/<ipv4|ipv6>/conf/<iface>/<leaf>`. @throws InvalidArgumentError (fields `family`, `iface`) */
export function confKey(family: SysctlFamily, iface: SysctlIface, leaf: string): string {
  return `net/${checkFamily(family)}/conf/${checkIface(iface)}/${leaf}`;
}

function checkBool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new InvalidArgumentError(field, v, 'must be a boolean');
  return v;
}
