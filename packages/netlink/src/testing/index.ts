/**
 * Test helpers for code that needs the real kernel: throwaway named network namespaces that are always
 * removed (explicitly, and as a last resort when the process exits), and a probe telling why kernel tests
 * must skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { openNetlink, type NetlinkHandle } from '../handle.js';
import { native } from '../native.js';
import { createNamedNetns, deleteNamedNetns, NETNS_RUN_DIR } from '../netns.js';

/** A namespace made for one test: `nl` is a handle inside it (opened on creation, closed by `remove`). */
export interface TestNetns {
  readonly name: string;
  readonly path: string;
  readonly nl: NetlinkHandle;
  /** Closes `nl` and deletes the namespace; idempotent. */
  remove(): Promise<void>;
}

const live = new Map<string, TestNetns>();
let counter = 0;
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    // Last resort for namespaces a failing test did not remove: synchronous `ip netns delete`.
    for (const name of live.keys()) {
      if (existsSync(`${NETNS_RUN_DIR}/${name}`)) spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    }
  });
}

/**
 * Creates a uniquely named namespace (`<prefix>-<pid>-<n>-<random>`), brings its loopback up and opens a
 * handle inside it. Call `remove()` in a `finally`/`afterEach`; `removeAllNetns()` in `afterAll`.
 */
export async function createNetns(prefix = 'vpt'): Promise<TestNetns> {
  installExitHook();
  const name = `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 7)}`;
  const path = await createNamedNetns(name);
  let nl: NetlinkHandle;
  try {
    nl = await openNetlink({ netns: name });
    await nl.link.up('lo');
  } catch (e) {
    await deleteNamedNetns(name).catch(() => undefined);
    throw e;
  }
  let removed = false;
  const ns: TestNetns = {
    name,
    path,
    nl,
    async remove() {
      if (removed) return;
      removed = true;
      live.delete(name);
      nl.close();
      if (existsSync(path)) await deleteNamedNetns(name);
    },
  };
  live.set(name, ns);
  return ns;
}

/** Removes every namespace `createNetns` made in this process that is still there. */
export async function removeAllNetns(): Promise<void> {
  const errors: unknown[] = [];
  for (const ns of [...live.values()]) await ns.remove().catch((e: unknown) => errors.push(e));
  if (errors.length) throw new AggregateError(errors, 'could not remove every test namespace');
}

/** Names of test namespaces still alive in this process. */
export function liveNetns(): string[] {
  return [...live.keys()];
}

let probe: Promise<string | undefined> | undefined;

/**
 * Why kernel tests cannot run here (one line), or undefined when they can: needs root (CAP_SYS_ADMIN and
 * CAP_NET_ADMIN), the native addon built, and a namespace that can really be created.
 * With `VECTORPLANE_REQUIRE_KERNEL=1` (set by the project's `npm test` when it runs as root on Linux) a
 * reason is an error instead, so a broken addon or namespace set-up cannot pass as skipped tests.
 */
export function kernelSkipReason(): Promise<string | undefined> {
  probe ??= probeKernel().then((reason) => {
    if (reason !== undefined && process.env['VECTORPLANE_REQUIRE_KERNEL'] === '1') {
      throw new Error(`kernel tests are required here (VECTORPLANE_REQUIRE_KERNEL=1) but cannot run: ${reason}`);
    }
    return reason;
  });
  return probe;
}

async function probeKernel(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `kernel tests need Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'kernel tests need root (they create network namespaces); run as root to include them';
  }
  try {
    native();
  } catch (e) {
    return `kernel tests need the native addon: ${(e as Error).message}`;
  }
  try {
    const ns = await createNetns('vpt-probe');
    await ns.remove();
  } catch (e) {
    return `kernel tests cannot create a network namespace here: ${(e as Error).message}`;
  }
  return undefined;
}

/**
 * Runs `fn`; when the kernel answers that it has no such link kind — `EOPNOTSUPP` with the extended ack
 * "Unknown device type", what `rtnl_newlink` says when no driver registered the kind — returns the one-line
 * reason to skip, naming the kind, instead of throwing. Any other error (another `EOPNOTSUPP` included, e.g.
 * a driver refusing an option) is thrown: it is a failure, not a missing kind.
 */
export async function unlessKindMissing(kind: string, fn: () => Promise<void>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    const err = e as { name?: unknown; code?: unknown; extack?: unknown };
    if (
      err.name === 'NetlinkError' &&
      err.code === 'EOPNOTSUPP' &&
      typeof err.extack === 'string' &&
      /^Unknown device type$/i.test(err.extack)
    ) {
      return `this kernel lacks link kind '${kind}' (${err.extack})`;
    }
    throw e;
  }
}

/**
 * Runs `fn` (typically the first request of a message family, such as listing nexthop objects); when the
 * kernel refuses it as a whole — a `NetlinkError` with `EOPNOTSUPP` (no handler for the message type) or
 * `EINVAL` — returns the one-line reason to skip, naming `feature`. Anything else, a decode error
 * (`ProtocolError`) or a refusal before sending (`InvalidArgumentError`) included, is thrown: a test must
 * fail on it, never skip.
 */
export async function unlessFeatureMissing(feature: string, fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    const err = e as { name?: unknown; code?: unknown; message?: unknown };
    if (err.name === 'NetlinkError' && (err.code === 'EOPNOTSUPP' || err.code === 'EINVAL')) {
      return `this kernel lacks ${feature} (${String(err.message)})`;
    }
    throw e;
  }
}
