import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { createNetns, type TestNetns } from '@vectorplane/netlink/testing';
import { skipReason } from './helpers.js';

const skip = await skipReason();
if (skip) console.log(`skip: ${skip}`);
const PKG = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(!!skip)('the README example runs', () => {
  let fake: FakeVpp;
  let host: TestNetns;
  let pod: TestNetns;
  let dir: string;
  beforeAll(async () => {
    fake = await startFakeVpp();
    host = await createNetns('vpc7'); // the example runs in here: its veths never touch the real host
    pod = await createNetns('vpc7');
    dir = mkdtempSync(join(tmpdir(), 'cni-readme-'));
  });
  afterAll(async () => {
    await fake?.stop();
    await pod?.remove();
    await host?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('against the fake VPP, with its paths moved to a temp dir and a test netns', async () => {
    const src = readFileSync(join(PKG, 'test/readme-example.ts'), 'utf8')
      .replaceAll('/var/lib/vectorplane/cni-server-state.json', join(dir, 'state.json'))
      .replaceAll('/var/run/calico/cni-server.sock', join(dir, 'cni.sock'))
      .replaceAll('/var/run/netns/pod1', pod.path);
    const file = join(PKG, 'test', `.readme-run-${process.pid}.ts`);
    writeFileSync(file, src);
    try {
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(
          'ip',
          ['netns', 'exec', host.name, process.execPath, '--conditions=@vectorplane/source', '--import', 'tsx', file],
          {
            cwd: PKG,
            env: { ...process.env, VPP_API_SOCKET: fake.socketPath },
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toMatch(/kept 0, rebuilt 0, removed 0 pods/);
      expect(out.stdout).toMatch(/pod up, MAC 02:/);
      expect(out.stdout).toMatch(/podAdded add default web-1 \d+ \[ '10\.0\.0\.5' \]/);
      expect(out.stdout).toMatch(/podDeleted del default web-1/);
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);
});
