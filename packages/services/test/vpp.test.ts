/**
 * Services against a VPP: the fake always, a real VPP 26.06 too when VPP_API_SOCKET is set. Checks go
 * through `cnat_translation_dump` (what VPP holds), and every test removes what it created.
 */
import type { VppApi, VppClient } from '@vectorplane/vpp-binapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CNAT_LB_TYPE,
  LB_TYPE_ANNOTATION,
  createServices,
  type Services,
  type ServicesInit,
  type SyncResult,
} from '../src/index.js';
import { endpoint, makeService, makeSlice } from '../src/testing/index.js';
import { deleteTranslations, dumpBrief, dumpTranslations, vppTargets } from './helpers.js';

// VIPs of this suite live in 10.97.0.0/16 so that a real VPP's other translations are never touched
const OURS = (key: string): boolean => key.includes('/10.97.') || key.includes('/198.18.');
const INIT: ServicesInit = {
  node: { name: 'node-a', addresses: ['198.18.0.10'] },
  serviceCidrs: ['10.97.0.0/16'],
  snat: { enabled: false },
};

const svc = (name: string, ip: string, extra: Parameters<typeof makeService>[0] = {}): ReturnType<typeof makeService> =>
  makeService({ name, clusterIP: ip, clusterIPs: [ip], ...extra });
const slice = (service: string, ips: string[], name = `${service}-1`): ReturnType<typeof makeSlice> =>
  makeSlice({ name, service, endpoints: ips.map((ip) => endpoint(ip, 'node-b')) });

for (const target of vppTargets()) {
  describe(`services against the ${target.name}`, () => {
    let vpp: VppClient<VppApi>;
    let close: () => Promise<void>;
    let services: Services[] = [];
    const make = (init: Partial<ServicesInit> = {}): Services => {
      const s = createServices({ ...INIT, ...init }, { vpp });
      services.push(s);
      return s;
    };

    beforeEach(async () => {
      const t = await target.start();
      vpp = t.vpp;
      close = t.close;
      await deleteTranslations(vpp, OURS);
    });
    afterEach(async () => {
      for (const s of services) await s.stop();
      services = [];
      await deleteTranslations(vpp, OURS);
      await close();
    });

    it('a full sync programs what was asked, one update per translation', async () => {
      const s = make();
      await s.start();
      for (let i = 1; i <= 5; i++) {
        s.upsertService(svc(`s${i}`, `10.97.0.${i}`));
        s.upsertEndpointSlice(slice(`s${i}`, [`10.244.${i}.1`, `10.244.${i}.2`]));
      }
      const r = await s.sync();
      expect(r.mode).toBe('reconcile');
      expect(s.vppCalls.cnat_translation_update).toBe(5);
      expect(await dumpBrief(vpp, OURS)).toEqual(
        Object.fromEntries(
          [1, 2, 3, 4, 5].map((i) => [`TCP/10.97.0.${i}/80`, `10.244.${i}.1:8080,10.244.${i}.2:8080`]),
        ),
      );
    });

    it('one endpoint added or removed is one cnat_translation_update, nothing else; the last one gone is one delete', async () => {
      const s = make();
      await s.start();
      for (let i = 1; i <= 20; i++) {
        s.upsertService(svc(`s${i}`, `10.97.1.${i}`));
        s.upsertEndpointSlice(slice(`s${i}`, [`10.244.${i}.1`]));
      }
      await s.sync();
      const before = { ...s.vppCalls };
      s.upsertEndpointSlice(slice('s7', ['10.244.7.1', '10.244.7.2']));
      const r = await s.sync();
      expect(r).toMatchObject({ mode: 'incremental', services: 1, updates: 1, deletes: 0 });
      expect(s.vppCalls).toEqual({ ...before, cnat_translation_update: before.cnat_translation_update! + 1 });
      expect((await dumpBrief(vpp, OURS))['TCP/10.97.1.7/80']).toBe('10.244.7.1:8080,10.244.7.2:8080');

      s.upsertEndpointSlice(slice('s7', ['10.244.7.2']));
      expect(await s.sync()).toMatchObject({ updates: 1, deletes: 0 });
      s.upsertEndpointSlice(slice('s7', []));
      expect(await s.sync()).toMatchObject({ updates: 0, deletes: 1 });
      const dumped = await dumpBrief(vpp, OURS);
      expect(dumped['TCP/10.97.1.7/80']).toBeUndefined();
      expect(Object.keys(dumped)).toHaveLength(19);
    });

    it('a change that does not move a translation sends nothing', async () => {
      const s = make();
      await s.start();
      s.upsertService(svc('a', '10.97.2.1'));
      s.upsertEndpointSlice(slice('a', ['10.244.1.1']));
      await s.sync();
      const before = { ...s.vppCalls };
      s.upsertService({
        ...svc('a', '10.97.2.1'),
        metadata: { name: 'a', namespace: 'default', labels: { team: 'x' } },
      });
      s.upsertEndpointSlice(
        makeSlice({
          name: 'a-1',
          service: 'a',
          endpoints: [{ ...endpoint('10.244.1.1', 'node-b'), hostname: 'pod-a' }],
        }),
      );
      expect(await s.sync()).toMatchObject({ updates: 0, deletes: 0 });
      expect(s.vppCalls).toEqual(before);
    });

    it('deleting a Service deletes its translations only', async () => {
      const s = make();
      await s.start();
      s.upsertService(
        svc('a', '10.97.3.1', {
          ports: [
            { name: 'http', port: 80 },
            { name: 'https', port: 443 },
          ],
        }),
      );
      s.upsertEndpointSlice(
        makeSlice({
          name: 'a-1',
          service: 'a',
          endpoints: [endpoint('10.244.1.1')],
          ports: [
            { name: 'http', port: 80 },
            { name: 'https', port: 443 },
          ],
        }),
      );
      s.upsertService(svc('b', '10.97.3.2'));
      s.upsertEndpointSlice(slice('b', ['10.244.2.1']));
      await s.sync();
      s.deleteService({ metadata: { name: 'a', namespace: 'default' } });
      expect(await s.sync()).toMatchObject({ updates: 0, deletes: 2 });
      expect(Object.keys(await dumpBrief(vpp, OURS))).toEqual(['TCP/10.97.3.2/80']);
    });

    it('a restart of ours against a running VPP reconciles: right entries untouched (same ids), stale deleted, missing added, changed updated', async () => {
      const first = make();
      await first.start();
      for (const [n, ip] of [
        ['keep', '10.97.4.1'],
        ['stale', '10.97.4.2'],
        ['change', '10.97.4.3'],
      ] as const) {
        first.upsertService(svc(n, ip));
        first.upsertEndpointSlice(slice(n, ['10.244.4.1', '10.244.4.2']));
      }
      await first.sync();
      const ids = new Map([...(await dumpTranslations(vpp))].map(([k, t]) => [k, t.id]));
      await first.stop();

      const second = make();
      second.upsertService(svc('keep', '10.97.4.1'));
      second.upsertEndpointSlice(slice('keep', ['10.244.4.2', '10.244.4.1']));
      second.upsertService(svc('change', '10.97.4.3'));
      second.upsertEndpointSlice(slice('change', ['10.244.4.1', '10.244.4.9']));
      second.upsertService(svc('new', '10.97.4.4'));
      second.upsertEndpointSlice(slice('new', ['10.244.4.1']));
      await second.start();
      const r: SyncResult = await second.sync();
      expect(r).toMatchObject({ mode: 'reconcile', unchanged: 1, updates: 2, deletes: 1, recreates: 0 });
      expect(second.vppCalls).toEqual({
        cnat_translation_dump: 1,
        cnat_translation_update: 2,
        cnat_translation_del: 1,
      });
      const after = await dumpTranslations(vpp);
      expect(after.get('TCP/10.97.4.1/80')?.id).toBe(ids.get('TCP/10.97.4.1/80'));
      expect(after.get('TCP/10.97.4.3/80')?.id).toBe(ids.get('TCP/10.97.4.3/80'));
      expect(await dumpBrief(vpp, OURS)).toEqual({
        'TCP/10.97.4.1/80': '10.244.4.1:8080,10.244.4.2:8080',
        'TCP/10.97.4.3/80': '10.244.4.1:8080,10.244.4.9:8080',
        'TCP/10.97.4.4/80': '10.244.4.1:8080',
      });
    });

    it('a new LB type is a delete and add (VPP sets lb_type only when it creates a translation)', async () => {
      const s = make();
      await s.start();
      s.upsertService(svc('a', '10.97.5.1'));
      s.upsertEndpointSlice(slice('a', ['10.244.5.1']));
      await s.sync();
      s.upsertService(svc('a', '10.97.5.1', { annotations: { [LB_TYPE_ANNOTATION]: 'maglev' } }));
      expect(await s.sync()).toMatchObject({ updates: 1, deletes: 1, recreates: 1 });
      expect((await dumpTranslations(vpp)).get('TCP/10.97.5.1/80')?.lbType).toBe(CNAT_LB_TYPE.MAGLEV);
    });

    it('NodePort and dual-family paths read back from VPP as asked (source rewrite for remote backends)', async () => {
      const s = make();
      await s.start();
      s.upsertService(
        svc('np', '10.97.6.1', {
          type: 'NodePort',
          ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
        }),
      );
      s.upsertEndpointSlice(
        makeSlice({
          name: 'np-1',
          service: 'np',
          endpoints: [endpoint('10.244.6.1', 'node-a'), endpoint('10.244.6.2', 'node-b')],
        }),
      );
      await s.sync();
      expect(await dumpBrief(vpp, OURS)).toEqual({
        'TCP/10.97.6.1/80': '10.244.6.1:8080,10.244.6.2:8080',
        'TCP/198.18.0.10/30080': '10.244.6.1:8080,10.244.6.2:8080<198.18.0.10',
      });
    });

    it('the SNAT set-up reaches VPP (addresses read back), interfaces register as pod and host; all removed after', async () => {
      const before = await vpp.call('cnat_get_snat_addresses', {}).catch(() => undefined);
      const { sw_if_index } = await vpp.call('create_loopback', { mac_address: '02:5c:00:00:00:01' });
      const s = make({
        snat: {
          ip4: '198.18.0.10',
          podCidrs: ['198.18.128.0/17'],
          interfaces: [{ swIfIndex: sw_if_index, role: 'pod' }],
        },
      });
      const exclusions = ['198.18.0.10/32', '10.97.0.0/16', '198.18.128.0/17'];
      try {
        await s.start();
        const got = await vpp.call('cnat_get_snat_addresses', {});
        expect(got.snat_ip4).toBe('198.18.0.10');
        await s.registerInterface(sw_if_index, 'host');
        expect(s.vppCalls).toMatchObject({
          cnat_set_snat_addresses_v2: 1,
          cnat_set_snat_policy: 1,
          cnat_snat_policy_add_del_exclude_pfx: 3,
          cnat_snat_policy_add_del_if: 2,
        });
        await s.unregisterInterface(sw_if_index, 'host');
        await s.unregisterInterface(sw_if_index, 'pod');
      } finally {
        for (const prefix of exclusions)
          await vpp.call('cnat_snat_policy_add_del_exclude_pfx', { is_add: 0, prefix }).catch(() => {});
        await vpp.call('delete_loopback', { sw_if_index });
        if (before && before.retval === 0 && (before.snat_ip4 !== '0.0.0.0' || before.snat_ip6 !== '::')) {
          await vpp.call('cnat_set_snat_addresses_v2', {
            fwd_fib_index: 0,
            ret_fib_index: 0,
            snat_ip4: before.snat_ip4,
            snat_ip6: before.snat_ip6,
            sw_if_index: before.sw_if_index,
            flags: 4,
          });
        } else {
          // there was no SNAT entry: all zero removes ours
          await vpp
            .call('cnat_set_snat_addresses_v2', {
              fwd_fib_index: 0,
              ret_fib_index: 0,
              snat_ip4: '0.0.0.0',
              snat_ip6: '::',
              sw_if_index: 0xffffffff,
              flags: 0,
            })
            .catch(() => {});
        }
      }
    });

    it('an invalid update of a programmed Service is refused and loses nothing', async () => {
      const s = make();
      const errors: Error[] = [];
      s.addEventListener('services:error', (e) => errors.push(e.detail.error));
      await s.start();
      s.upsertService(svc('a', '10.97.7.1'));
      s.upsertEndpointSlice(slice('a', ['10.244.7.1']));
      await s.sync();
      s.upsertService(svc('a', '10.97.7.1', { ports: [{ name: 'http', port: 99999 }] }));
      s.upsertEndpointSlice(makeSlice({ name: 'a-1', service: 'a', endpoints: [endpoint('not-an-ip')] }));
      expect(await s.sync()).toMatchObject({ updates: 0, deletes: 0 });
      expect(errors.map((e) => [e.name, (e as { code?: string }).code])).toEqual([
        ['InvalidServiceError', 'SERVICES_INVALID_SERVICE'],
        ['InvalidEndpointSliceError', 'SERVICES_INVALID_ENDPOINT_SLICE'],
      ]);
      expect(errors[0]!.message).toContain('Service default/a');
      expect(await dumpBrief(vpp, OURS)).toEqual({ 'TCP/10.97.7.1/80': '10.244.7.1:8080' });
    });
  });
}

if (!process.env.VPP_API_SOCKET) {
  describe('services against a real VPP', () => {
    it.skip('skipped: VPP_API_SOCKET is not set (point it at a running VPP 26.06 api.sock)', () => {});
  });
}
