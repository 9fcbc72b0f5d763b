import { connectVpp } from '@vectorplane/vpp-binapi';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { createPolicyDataplane, type PolicyDataplane, type PolicyDataplaneInit } from '../../src/dataplane.js';
import type { PolicyBackendKind, PolicyVpp } from '../../src/types.js';
import { AclView, npolPasses, type NpolStateLike, type Packet } from './verdict.js';

export const BACKENDS: PolicyBackendKind[] = ['acl', 'npol'];

export interface PolicyEnv {
  readonly kind: PolicyBackendKind;
  readonly fake: FakeVpp;
  readonly vpp: PolicyVpp & { close(): Promise<void> };
  readonly dp: PolicyDataplane;
  /** Creates a loopback standing in for a pod interface; returns its sw_if_index. */
  iface(): Promise<number>;
  /** Would VPP pass `p` from interface `from` (received there) to interface `to` (sent there)? */
  passes(from: number, to: number, p: Packet): Promise<boolean>;
  /** One hop only. */
  hop(sw: number, direction: 'input' | 'output', p: Packet): Promise<boolean>;
  close(): Promise<void>;
}

export async function policyEnv(
  kind: PolicyBackendKind,
  init: Omit<PolicyDataplaneInit, 'backend'> = {},
): Promise<PolicyEnv> {
  const fake = await startFakeVpp();
  const vpp = await connectVpp({ socket: fake.socketPath });
  const dp = createPolicyDataplane({ vpp }, { npolStatePath: null, ...init, backend: kind });
  await dp.start();
  const view = new AclView(vpp);
  // Two independent evaluators must agree: the fake VPP's own (its ACL plugin / npol_match_func model)
  // and ours in helpers/verdict.ts (ACL lists read back over the API; npol from the fake's state).
  const hop = async (sw: number, direction: 'input' | 'output', p: Packet) => {
    const packet = { sw_if_index: sw, direction, ...p };
    let theirs: boolean;
    let ours: boolean;
    await dp.apply([]); // both evaluators look at a quiescent state (after what is queued)
    if (kind === 'acl') {
      // the lists may change while they are dumped (a front-end applying): read until two reads agree
      let fp: string;
      do {
        await view.load();
        fp = view.fingerprint();
        await view.load();
      } while (view.fingerprint() !== fp);
      theirs = fake.state.acl.evaluate(packet).allowed;
      ours = view.hop(sw, direction, p);
    } else {
      theirs = fake.state.evaluateNpol(packet).allowed;
      ours = npolPasses(fake.state.npol as unknown as NpolStateLike, sw, direction, p);
    }
    if (theirs !== ours)
      throw new Error(`evaluators disagree on ${JSON.stringify(packet)}: fake ${theirs}, helpers ${ours}`);
    return theirs;
  };
  return {
    kind,
    fake,
    vpp,
    dp,
    async iface() {
      const r = await vpp.call('create_loopback', {});
      return r.sw_if_index;
    },
    hop,
    async passes(from, to, p) {
      return (await hop(from, 'input', p)) && (await hop(to, 'output', p));
    },
    async close() {
      await dp.stop();
      await vpp.close();
      await fake.stop();
    },
  };
}

export const tcp = (src: string, dst: string, dport: number, sport = 40000): Packet => ({
  src,
  dst,
  proto: 6,
  sport,
  dport,
});
export const udp = (src: string, dst: string, dport: number, sport = 40000): Packet => ({
  src,
  dst,
  proto: 17,
  sport,
  dport,
});
export const reply = (p: Packet): Packet => ({
  ...p,
  src: p.dst,
  dst: p.src,
  ...(p.sport !== undefined ? { dport: p.sport } : {}),
  ...(p.dport !== undefined ? { sport: p.dport } : {}),
});
