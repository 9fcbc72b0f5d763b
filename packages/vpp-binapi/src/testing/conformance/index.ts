import { conformanceCases } from './cases.js';
import { canCreateHostInterfaces, createVethHostInterface } from './host-interface.js';
import type { ConformanceCase, ConformanceContext } from './types.js';

export { createVethHostInterface, type HostInterfaceLease, type VethHostInterfaceInit } from './host-interface.js';

export { conformanceCases, coreConformanceCases } from './cases.js';
export { pluginConformanceCases } from './cases-plugins.js';
export { ConformanceError } from './assert.js';
export type { ConformanceCase, ConformanceClient, ConformanceContext, ConformanceSubscription } from './types.js';

/** Outcome of one case run by {@link runConformance}. */
export interface ConformanceResult {
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly error?: unknown;
  readonly ms: number;
}

/** Why `c` cannot run with `ctx`, or undefined when it can. */
export function conformanceSkipReason(c: ConformanceCase, ctx: Partial<ConformanceContext>): string | undefined {
  for (const r of c.requires ?? []) {
    if (r === 'hostInterface' && ctx.makeHostInterface) continue;
    if (!ctx[r]) return `needs ${r} (or root, to make a veth pair)`;
  }
  return undefined;
}

/** Runs cases one after another (they share one VPP) and reports each; never throws. */
export async function runConformance(
  ctx: ConformanceContext,
  cases: readonly ConformanceCase[] = conformanceCases,
): Promise<ConformanceResult[]> {
  const out: ConformanceResult[] = [];
  for (const c of cases) {
    const start = Date.now();
    if (conformanceSkipReason(c, ctx)) {
      out.push({ name: c.name, status: 'skipped', ms: 0 });
      continue;
    }
    try {
      await c.run(ctx);
      out.push({ name: c.name, status: 'passed', ms: Date.now() - start });
    } catch (error) {
      out.push({ name: c.name, status: 'failed', error, ms: Date.now() - start });
    }
  }
  return out;
}

/**
 * As root, a target without a host interface gets a maker of veth pairs (in the netns named by
 * `VPP_NETNS`, else the current one), so that the af_packet case runs against a real VPP too.
 */
function withHostInterfaceMaker(t: ConformanceTarget): ConformanceTarget {
  if (t.context.hostInterface || t.context.makeHostInterface || !canCreateHostInterfaces()) return t;
  const netns = process.env.VPP_NETNS;
  const makeHostInterface = () => createVethHostInterface(netns ? { netns } : {});
  return { context: { ...t.context, makeHostInterface }, close: () => t.close() };
}

/** The parts of a test framework {@link describeConformance} uses (vitest and jest fit). */
export interface ConformanceTestApi {
  describe(name: string, fn: () => void): void;
  /** `fn` receives the framework's test context; its `skip(note)` is used for cases that cannot run. */
  it(name: string, fn: (t: { skip(note?: string): void }) => Promise<void>, timeoutMs?: number): void;
  beforeAll(fn: () => Promise<void>, timeoutMs?: number): void;
  afterAll(fn: () => Promise<void>, timeoutMs?: number): void;
}

/** What {@link describeConformance} connects to before the cases and closes after them. */
export interface ConformanceTarget {
  readonly context: ConformanceContext;
  close(): Promise<void>;
}

/**
 * Declares one test per case under `title`, connecting once with `connect` for the whole block. Cases that
 * lack context (e.g. a host interface) are skipped at run time with the reason.
 */
export function describeConformance(
  title: string,
  api: ConformanceTestApi,
  connect: () => Promise<ConformanceTarget>,
  cases: readonly ConformanceCase[] = conformanceCases,
  timeoutMs = 20_000,
): void {
  api.describe(title, () => {
    let target: ConformanceTarget | undefined;
    api.beforeAll(async () => {
      target = withHostInterfaceMaker(await connect());
    }, timeoutMs);
    api.afterAll(async () => {
      await target?.close();
    }, timeoutMs);
    for (const c of cases) {
      api.it(
        c.name,
        async (t) => {
          if (!target) throw new Error('conformance target did not connect');
          const reason = conformanceSkipReason(c, target.context);
          if (reason) {
            t.skip(reason);
            return;
          }
          await c.run(target.context);
        },
        timeoutMs,
      );
    }
  });
}
