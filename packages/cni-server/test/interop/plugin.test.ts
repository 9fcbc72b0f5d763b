import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipReason, startBed, type Bed } from './helpers.js';

const skip =
  (await skipReason()) ??
  (existsSync('/usr/lib/cni/host-local') ? undefined : 'host-local is not installed (/usr/lib/cni/host-local)');
if (skip) console.log(`skip: ${skip}`);

const PKG = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = ['--import', 'tsx', join(PKG, 'src/bin/vectorplane-cni.ts')];
const BUNDLE = join(PKG, 'dist/bin/vectorplane-cni.js');
/** The error cases run the bundle when it is built (a runtime execs that; tsx start-up costs ~1 s per exec here). */
const PLUGIN = existsSync(BUNDLE) ? [BUNDLE] : SOURCE;

interface Run {
  code: number | null;
  out: unknown;
  stdout: string;
  ms: number;
}

/** Execs the plugin exactly as a runtime does: env + config on stdin, result on stdout. */
function runPlugin(argv: readonly string[], env: Record<string, string>, stdin: object | string): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...argv], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      cwd: PKG,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => {
      let out: unknown;
      try {
        out = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        out = stdout;
      }
      resolve({ code, out, stdout, ms: performance.now() - t0 });
    });
    child.stdin.end(typeof stdin === 'string' ? stdin : JSON.stringify(stdin));
  });
}

describe.skipIf(!!skip)('vectorplane-cni, exec’d as a runtime does, with host-local IPAM', () => {
  let bed: Bed;
  let dataDir: string;
  let conf: Record<string, unknown>;
  beforeAll(async () => {
    bed = await startBed();
    await bed.server.start();
    dataDir = join(bed.dir, 'ipam');
    mkdirSync(dataDir);
    conf = {
      cniVersion: '1.0.0',
      name: 'cnitest',
      type: 'vectorplane-cni',
      socket: bed.socket,
      mtu: 1400,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.50.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir },
    };
  });
  afterAll(async () => {
    for (const p of bed?.server.pods() ?? []) await bed.server.del({ netns: p.netns, interface_name: p.interfaceName });
    await bed?.close();
  });

  const env = (command: string, netns: string, extra: Record<string, string> = {}) => ({
    CNI_COMMAND: command,
    CNI_CONTAINERID: `cid-${netns.split('/').pop()}`,
    CNI_NETNS: netns,
    CNI_IFNAME: 'eth0',
    CNI_PATH: '/usr/lib/cni',
    CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1', // as kubelet/containerd pass them
    ...extra,
  });
  const allocated = (): string[] =>
    (existsSync(join(dataDir, 'cnitest')) ? readdirSync(join(dataDir, 'cnitest')) : []).filter((f) =>
      /^\d+\.\d+\.\d+\.\d+$/.test(f),
    );

  for (const [label, argv] of [
    ['from sources', SOURCE],
    ['bundled (dist)', [BUNDLE]],
  ] as const) {
    it.skipIf(label.startsWith('bundled') && !existsSync(BUNDLE))(`${label}: ADD, CHECK, DEL`, async () => {
      const ns = await bed.pod();
      const add = await runPlugin(argv, env('ADD', ns.path), conf);
      expect(add.code, add.stdout).toBe(0);
      const result = add.out as {
        cniVersion: string;
        interfaces: { name: string; mac: string; sandbox: string }[];
        ips: { address: string; interface: number }[];
        routes: unknown[];
      };
      expect(result.cniVersion).toBe('1.0.0');
      expect(result.interfaces).toEqual([
        { name: 'eth0', mac: expect.stringMatching(/^02:/), sandbox: ns.path, mtu: 1400 },
      ]);
      expect(result.ips).toEqual([
        { address: expect.stringMatching(/^10\.50\.0\.\d+\/24$/), gateway: '10.50.0.1', interface: 0 },
      ]);
      expect(result.routes).toEqual([{ dst: '0.0.0.0/0' }]);
      const pod = bed.server.pods().find((p) => p.netns === ns.path)!;
      expect(pod.containerMac).toBe(result.interfaces[0]!.mac);
      expect(pod.workload).toMatchObject({ name: 'web-1', namespace: 'default', orchestrator: 'k8s' });
      expect(allocated()).toContain(result.ips[0]!.address.split('/')[0]);

      const check = await runPlugin(argv, env('CHECK', ns.path), { ...conf, prevResult: result });
      expect(check.code, check.stdout).toBe(0);

      const del = await runPlugin(argv, env('DEL', ns.path), conf);
      expect(del.code, del.stdout).toBe(0);
      expect(del.stdout).toBe('');
      expect(bed.server.pods().find((p) => p.netns === ns.path)).toBeUndefined();
      expect(allocated()).not.toContain(result.ips[0]!.address.split('/')[0]);
      // DEL again (the runtime retries): still fine
      expect((await runPlugin(argv, env('DEL', ns.path), conf)).code).toBe(0);
    });
  }

  it('a failed ADD prints a CNI error and releases the address', async () => {
    const before = allocated();
    const add = await runPlugin(PLUGIN, env('ADD', '/run/netns/cni-not-there'), conf);
    expect(add.code).toBe(1);
    expect(add.out).toMatchObject({
      cniVersion: '1.0.0',
      code: 100,
      msg: 'the dataplane refused the pod',
      details: expect.stringMatching(/NetnsNotFoundError/),
    });
    expect(allocated()).toEqual(before);
  });

  it('a config without ipam, a bad version, bad JSON, missing env: CNI error objects', async () => {
    const ns = await bed.pod();
    const { ipam: _i, ...noIpam } = conf;
    expect((await runPlugin(PLUGIN, env('ADD', ns.path), noIpam)).out).toMatchObject({ code: 7, msg: 'ipam: missing' });
    expect((await runPlugin(PLUGIN, env('ADD', ns.path), { ...conf, cniVersion: '9.9.9' })).out).toMatchObject({
      code: 1,
    });
    expect((await runPlugin(PLUGIN, env('ADD', ns.path), '{nope')).out).toMatchObject({ code: 6 });
    expect((await runPlugin(PLUGIN, env('ADD', ns.path, { CNI_IFNAME: '' }), conf)).out).toMatchObject({
      code: 4,
      msg: 'CNI_IFNAME is not set',
    });
    expect(
      (await runPlugin(PLUGIN, env('ADD', ns.path), { ...conf, ipam: { type: 'no-such-ipam' } })).out,
    ).toMatchObject({ code: 7 });
    expect(bed.server.pods().find((p) => p.netns === ns.path)).toBeUndefined();
  });

  it('VERSION, STATUS and GC', async () => {
    const v = await runPlugin(PLUGIN, { CNI_COMMAND: 'VERSION' }, { cniVersion: '1.1.0' });
    expect(v.out).toEqual({ cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
    expect(
      (await runPlugin(PLUGIN, { CNI_COMMAND: 'STATUS', CNI_PATH: '/usr/lib/cni' }, { ...conf, cniVersion: '1.1.0' }))
        .code,
    ).toBe(0);
    const down = await runPlugin(
      PLUGIN,
      { CNI_COMMAND: 'STATUS', CNI_PATH: '/usr/lib/cni' },
      { ...conf, cniVersion: '1.1.0', socket: join(bed.dir, 'nothing.sock') },
    );
    expect(down.out).toMatchObject({ code: 50 });
    const gc = await runPlugin(
      PLUGIN,
      { CNI_COMMAND: 'GC', CNI_PATH: '/usr/lib/cni' },
      { ...conf, cniVersion: '1.1.0', 'cni.dev/valid-attachments': [] },
    );
    expect(gc.code, gc.stdout).toBe(0);
  });

  it.skipIf(!existsSync(BUNDLE))('the bundle starts fast (VERSION)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) times.push((await runPlugin([BUNDLE], { CNI_COMMAND: 'VERSION' }, {})).ms);
    console.log(`bundled plugin VERSION: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    expect(Math.min(...times)).toBeLessThan(2000);
  });

  it('CNI 1.1.0 ADD works with host-local (which stops at 1.0.0)', async () => {
    const ns = await bed.pod();
    const add = await runPlugin(PLUGIN, env('ADD', ns.path), { ...conf, cniVersion: '1.1.0' });
    expect(add.code, add.stdout).toBe(0);
    expect(add.out).toMatchObject({ cniVersion: '1.1.0' });
    expect((await runPlugin(PLUGIN, env('DEL', ns.path), { ...conf, cniVersion: '1.1.0' })).code).toBe(0);
  });
});
