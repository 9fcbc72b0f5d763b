import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { type FakeVpp, startFakeVpp } from '@vectorplane/vpp-binapi/testing';
import { fromDetails, type DumpedTranslation, type ServicesLogger } from '../src/index.js';

/** A VPP to test against: the fake (always) or a real one at VPP_API_SOCKET. */
export interface VppTarget {
  readonly name: string;
  readonly kind: 'fake' | 'real';
  start(): Promise<{ vpp: VppClient<VppApi>; fake: FakeVpp | undefined; close(): Promise<void> }>;
}

export function vppTargets(): VppTarget[] {
  const out: VppTarget[] = [
    {
      name: 'fake VPP',
      kind: 'fake',
      async start() {
        const fake = await startFakeVpp();
        const vpp = await connectVpp({
          socket: fake.socketPath,
          name: 'svc-test',
          reconnect: { initialDelayMs: 10, maxDelayMs: 50, healthIntervalMs: 0 },
        });
        return {
          vpp,
          fake,
          async close() {
            await vpp.close();
            await fake.stop();
          },
        };
      },
    },
  ];
  const real = process.env.VPP_API_SOCKET;
  if (real) {
    out.push({
      name: `VPP at ${real}`,
      kind: 'real',
      async start() {
        const vpp = await connectVpp({ socket: real, name: 'svc-test', timeoutMs: 10_000 });
        return { vpp, fake: undefined, close: () => vpp.close() };
      },
    });
  }
  return out;
}

/** VPP's translations, read back the way services reads them, by key. */
export async function dumpTranslations(vpp: VppClient<VppApi>): Promise<Map<string, DumpedTranslation>> {
  const out = new Map<string, DumpedTranslation>();
  for await (const d of vpp.dump('cnat_translation_dump', {})) {
    const t = fromDetails(d.translation);
    if (t) out.set(t.key, t);
  }
  return out;
}

/** `key -> backends` of VPP's translations, for comparing with what was asked. */
export async function dumpBrief(
  vpp: VppClient<VppApi>,
  only?: (key: string) => boolean,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, t] of await dumpTranslations(vpp)) {
    if (only && !only(k)) continue;
    out[k] = t.paths
      .map((p) => `${p.dst.addr}:${p.dst.port}${p.src ? `<${p.src.addr}` : ''}`)
      .sort()
      .join(',');
  }
  return out;
}

/** Deletes every translation whose VIP matches (cleaning up on a real VPP). */
export async function deleteTranslations(vpp: VppClient<VppApi>, match: (key: string) => boolean): Promise<void> {
  for (const [k, t] of await dumpTranslations(vpp)) {
    if (match(k)) await vpp.call('cnat_translation_del', { id: t.id }).catch(() => {});
  }
}

/** A logger that keeps what it is given. */
export function memoryLogger(): ServicesLogger & {
  lines: { level: string; fields: Record<string, unknown>; msg: string | undefined }[];
} {
  const lines: { level: string; fields: Record<string, unknown>; msg: string | undefined }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg?: string) =>
    void lines.push({ level, fields, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Resolves when `pred` holds, polling. */
export async function until(pred: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
