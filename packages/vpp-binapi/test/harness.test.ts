import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectVpp } from '../src/index.js';
import {
  parseStartupConf,
  startTestVpp,
  startupConfApiSocket,
  startupConfRuntimeDir,
  testVppStartupConfig,
  vppFakeCommand,
  type TestVpp,
} from '../src/testing/index.js';

const running: TestVpp[] = [];
afterEach(async () => {
  for (const v of running.splice(0)) await v.stop();
});

describe('parseStartupConf', () => {
  it('reads nested sections and skips comments, as VPP tokenises startup.conf', () => {
    const conf = parseStartupConf(`
      ## a comment { with braces }
      unix { nodaemon runtime-dir /tmp/x cli-listen /tmp/x/cli.sock } # trailing
      plugins {
        plugin default { enable }
        plugin dpdk_plugin.so { disable }
      }
      socksvr{socket-name /tmp/x/api.sock}
    `);
    expect(conf).toEqual([
      { name: 'unix', body: ['nodaemon', 'runtime-dir', '/tmp/x', 'cli-listen', '/tmp/x/cli.sock'] },
      {
        name: 'plugins',
        body: [
          'plugin',
          { name: 'default', body: ['enable'] },
          'plugin',
          { name: 'dpdk_plugin.so', body: ['disable'] },
        ],
      },
      { name: 'socksvr', body: ['socket-name', '/tmp/x/api.sock'] },
    ]);
    expect(startupConfApiSocket(conf)).toBe('/tmp/x/api.sock');
  });

  it('puts api.sock in the runtime dir for socksvr { default } and /run/vpp without one, as VPP does', () => {
    expect(startupConfApiSocket(parseStartupConf('unix { runtime-dir /r } socksvr { default }'))).toBe('/r/api.sock');
    expect(startupConfApiSocket(parseStartupConf('socksvr { }'))).toBe('/run/vpp/api.sock');
    expect(startupConfApiSocket(parseStartupConf('unix { nodaemon }'))).toBeUndefined();
    expect(startupConfRuntimeDir(parseStartupConf(''))).toBe('/run/vpp');
  });

  it('names the line of an unbalanced brace', () => {
    expect(() => parseStartupConf('unix {\n nodaemon\n}\n}')).toThrow(/line 4: unexpected '}'/);
    expect(() => parseStartupConf('unix { nodaemon')).toThrow(/missing '}'/);
  });

  it('renders the config that runs a real VPP without hugepages or DPDK, all files in one dir', () => {
    const conf = parseStartupConf(testVppStartupConfig('/d', 'api-trace { on }'));
    expect(startupConfApiSocket(conf)).toBe('/d/api.sock');
    expect(conf.map((s) => (typeof s === 'string' ? s : s.name))).toEqual([
      'unix',
      'socksvr',
      'memory',
      'buffers',
      'statseg',
      'plugins',
      'api-trace',
    ]);
  });
});

describe('vpp-fake bin', () => {
  it('runs from sources: a cached esbuild bundle, or through tsx when bundling is off', () => {
    const bundled = vppFakeCommand();
    expect(bundled.command).toBe(process.execPath);
    expect(bundled.args.at(-1)).toMatch(/vpp-fake-[0-9a-f]{16}\.mjs$|vpp-fake\.ts$/);
    process.env.VPP_FAKE_NO_BUNDLE = '1';
    try {
      const viaTsx = vppFakeCommand();
      expect(viaTsx.args[0]).toBe('--import');
      expect(viaTsx.args.at(-1)).toMatch(/src\/bin\/vpp-fake\.ts$/);
    } finally {
      delete process.env.VPP_FAKE_NO_BUNDLE;
    }
  });

  const run = (
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ code: number | null; out: string; err: string }> =>
    new Promise((resolve) => {
      const { command, args: pre } = vppFakeCommand();
      const p = spawn(command, [...pre, ...args], { env: { ...process.env, ...env } });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('exit', (code) => resolve({ code, out, err }));
    });

  it('refuses a config without socksvr, and a bad VPP_FAKE_CRASH_AFTER, naming them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vpm-fakebin-'));
    try {
      await writeFile(join(dir, 'a.conf'), `unix { runtime-dir ${dir} }`);
      const a = await run(['-c', join(dir, 'a.conf')]);
      expect(a.code).toBe(1);
      expect(a.err).toMatch(/no socksvr section/);
      await writeFile(join(dir, 'b.conf'), `socksvr { socket-name ${dir}/api.sock }`);
      const b = await run(['-c', join(dir, 'b.conf')], { VPP_FAKE_CRASH_AFTER: 'x' });
      expect(b.code).toBe(1);
      expect(b.err).toMatch(/VPP_FAKE_CRASH_AFTER/);
      const r = await run(['-c', join(dir, 'b.conf')], { VPP_FAKE_RELEASE: '24.10' });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/VPP_FAKE_RELEASE must be one of 25\.10, 26\.02, 26\.06, got '24\.10'/);
      const c = await run(['-c', join(dir, 'missing.conf')]);
      expect(c.code).toBe(1);
      expect(c.err).toMatch(/cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('startTestVpp', () => {
  it('starts a VPP whose API answers, and stop() ends it and removes its runtime dir', async () => {
    const vpp = await startTestVpp();
    running.push(vpp);
    expect(vpp.kind).toBe(process.env.VPP_BIN ? 'real' : 'fake');
    expect(vpp.apiSocket).toBe(join(vpp.runtimeDir, 'api.sock'));
    const c = await connectVpp({ socket: vpp.apiSocket });
    try {
      const v = await c.call('show_version', {});
      expect(v.version).toMatch(/^26\.06/);
      const ping = await c.call('control_ping', {});
      if (vpp.kind === 'real') expect(ping.vpe_pid).toBe(vpp.pid);
    } finally {
      await c.close();
    }
    expect(Number(readFileSync(join(vpp.runtimeDir, 'vpp.pid'), 'utf8'))).toBe(vpp.pid);
    await vpp.stop();
    const ex = await vpp.exited;
    expect(ex.code).toBe(0);
    expect(existsSync(vpp.runtimeDir)).toBe(false);
  });

  it('passes fake.release to the fake: it announces and speaks that release (a real VPP is what it is)', async () => {
    const vpp = await startTestVpp({ fake: { release: '25.10' } });
    running.push(vpp);
    const c = await connectVpp({ socket: vpp.apiSocket });
    try {
      if (vpp.kind === 'real') return;
      expect((await c.call('show_version', {})).version).toBe('25.10-release');
      expect(c.compat.releases).toContain('25.10');
      expect(c.compat.releases).not.toContain('26.06');
      // 25.10's cnat has no feature_cnat_enable_disable
      expect(c.compat.missing).toContain('feature_cnat_enable_disable');
    } finally {
      await c.close();
    }
  });

  it('exits like VPP on SIGINT and SIGTERM (code 0, socket removed)', async () => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const dir = await mkdtemp(join(tmpdir(), 'vpm-sig-'));
      try {
        const vpp = await startTestVpp({ runtimeDir: dir });
        running.push(vpp);
        process.kill(vpp.pid, sig);
        expect(await vpp.exited).toEqual({ code: 0, signal: null });
        if (vpp.kind === 'fake') expect(existsSync(vpp.apiSocket)).toBe(false);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it.skipIf(!!process.env.VPP_BIN)(
    'the fake crashes with SIGKILL on the request after N, leaving its socket behind',
    async () => {
      const vpp = await startTestVpp({ fake: { crashAfter: 3 } }); // the readiness probe's control_ping is 1
      running.push(vpp);
      const c = await connectVpp({ socket: vpp.apiSocket, timeoutMs: 2000 });
      await c.call('show_version', {});
      await c.call('show_version', {});
      const third = c.call('show_version', {}).then(
        () => 'answered',
        (e: Error) => e.name,
      );
      expect(await vpp.exited).toEqual({ code: null, signal: 'SIGKILL' });
      expect(await third).not.toBe('answered');
      expect(existsSync(vpp.apiSocket)).toBe(true); // as VPP killed with -9 leaves api.sock
      await c.close().catch(() => undefined);
    },
  );

  it.skipIf(!existsSync('/usr/bin/setpriv') && !existsSync('/bin/setpriv'))(
    'a VPP whose test process is killed without stop() ends too (parent death signal)',
    async () => {
      // a process that starts a VPP, prints its pid, then is killed with SIGKILL (no cleanup can run)
      const script = `import { startTestVpp } from ${JSON.stringify(new URL('../src/testing/index.ts', import.meta.url).href)};
const v = await startTestVpp(); process.stdout.write(v.pid + ' ' + v.runtimeDir + '\\n'); setInterval(() => {}, 1000);`;
      const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        parent.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        parent.once('exit', (code) => reject(new Error(`parent exited first (${code})`)));
      });
      const [pidText, runtimeDir] = line.split(' ');
      const pid = Number(pidText);
      const alive = (): boolean => {
        try {
          process.kill(pid, 0);
          return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
        } catch {
          return false;
        }
      };
      try {
        expect(alive()).toBe(true);
        parent.kill('SIGKILL');
        const end = Date.now() + (process.env.VPP_BIN ? 15_000 : 5_000);
        while (alive() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
        expect(alive()).toBe(false);
      } finally {
        if (alive()) process.kill(pid, 'SIGKILL');
        if (runtimeDir) await rm(runtimeDir, { recursive: true, force: true });
      }
    },
    30_000,
  );

  it('removes a stale socket left by a killed VPP and waits for a connect that answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vpm-stale-'));
    try {
      // a socket file nobody listens on, as `kill -9` leaves behind
      const s = createServer();
      await new Promise<void>((r) => s.listen(join(dir, 'api.sock'), r));
      const fd = statSync(join(dir, 'api.sock'));
      expect(fd.isSocket()).toBe(true);
      (s as unknown as { _handle: { close(): void } | null })._handle?.close(); // close without unlinking
      const vpp = await startTestVpp({ runtimeDir: dir });
      running.push(vpp);
      const c = await connectVpp({ socket: vpp.apiSocket });
      await c.call('control_ping', {});
      await c.close();
      await vpp.stop();
      expect(existsSync(dir)).toBe(true); // a caller's runtime dir is kept
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects with the stderr of a VPP that exits before its API answers, and cleans up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vpm-bad-'));
    try {
      await expect(startTestVpp({ runtimeDir: dir, startupConfig: 'broken {' })).rejects.toThrow(
        /exited before its API answered[\s\S]*missing '\}'/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root)('runs inside the given network namespace', async () => {
    const ns = `vpm-h-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
    try {
      const vpp = await startTestVpp({ netns: ns });
      running.push(vpp);
      expect(vpp.netns).toBe(ns);
      expect(statSync(`/proc/${vpp.pid}/ns/net`).ino).toBe(statSync(`/run/netns/${ns}`).ino);
      await vpp.stop();
    } finally {
      spawnSync('ip', ['netns', 'delete', ns]);
    }
  });
});
