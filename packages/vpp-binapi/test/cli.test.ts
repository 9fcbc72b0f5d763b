/**
 * `vpp-api` against the fake VPP: a few runs of the real bin (spawned through tsx, as a user would run
 * it), the rest through `runCli` in-process to keep the suite fast.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../src/client/cli.js';
import { startFakeVpp, type FakeVpp } from '../src/testing/index.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));

function spawnCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: pkg, env: { ...process.env, ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 99) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

let fake: FakeVpp;
let sock: string[];
beforeAll(async () => {
  fake = await startFakeVpp();
  sock = ['--socket', fake.socketPath];
});
afterAll(async () => {
  await fake.stop();
});

describe('vpp-api (spawned)', () => {
  it('call: prints the reply as JSON, socket from VPP_API_SOCKET', async () => {
    const r = await spawnCli(['call', 'show_version'], { VPP_API_SOCKET: fake.socketPath });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ retval: 0, program: 'vpe', version: '26.06-release' });
  });

  it('exits non-zero with VPP’s error name on a negative retval', async () => {
    const r = await spawnCli([...sock, 'call', 'delete_loopback', '{"sw_if_index":9999}']);
    expect(r.code).toBe(EXIT.VPP_ERROR);
    expect(r.stderr).toContain('VNET_API_ERROR_INVALID_SW_IF_INDEX');
    expect(r.stderr).toContain('retval -2');
  });

  it('--help prints usage and exits 0; no VPP needed', async () => {
    const r = await spawnCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: vpp-api');
    expect(r.stdout).toContain('/run/vpp/api.sock');
  });

  it('reports a missing socket with exit code 3', async () => {
    const r = await spawnCli(['--socket', '/nonexistent/api.sock', 'call', 'show_version']);
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.stderr).toContain('cannot connect to VPP at /nonexistent/api.sock');
  });
});

describe('vpp-api (in-process)', () => {
  it('call with JSON fields, then dump prints JSON lines', async () => {
    const c = await run([...sock, 'call', 'create_loopback', '{"mac_address":"02:00:00:00:00:42"}']);
    expect(c.code).toBe(0);
    const { sw_if_index } = JSON.parse(c.stdout) as { sw_if_index: number };
    await run([
      ...sock,
      'call',
      'sw_interface_tag_add_del',
      JSON.stringify({ is_add: true, sw_if_index, tag: 'cli-test' }),
    ]);
    const d = await run([...sock, 'dump', 'sw_interface_dump', '{"sw_if_index":4294967295}']);
    expect(d.code).toBe(0);
    const lines = d.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.find((l) => l['sw_if_index'] === sw_if_index)).toMatchObject({
      l2_address: '02:00:00:00:00:42',
      tag: 'cli-test',
    });
    // header fields stay out of the output
    expect(lines[0]).not.toHaveProperty('context');
    expect(lines[0]).not.toHaveProperty('_vl_msg_id');
  });

  it('cli prints VPP’s text', async () => {
    const r = await run([...sock, 'cli', 'show version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('26.06');
    expect(r.stdout.endsWith('\n')).toBe(true);
  });

  it('messages: a table of name, id, crc and status; --check passes when CRCs match', async () => {
    const t = await run([...sock, 'messages']);
    expect(t.code).toBe(0);
    const row = t.stdout.split('\n').find((l) => l.startsWith('create_loopback '))!;
    expect(row).toMatch(
      new RegExp(
        `create_loopback\\s+${fake.messageId('create_loopback')}\\s+0x42bb5d22\\s+ok \\(25\\.10, 26\\.02, 26\\.06\\)`,
      ),
    );
    const j = await run([...sock, 'messages', '--json']);
    expect(JSON.parse(j.stdout.split('\n')[0]!)).toHaveProperty('status');
    const c = await run([...sock, 'messages', '--check']);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(
      /\d+ messages match, 0 CRC mismatches, 0 not in VPP; VPP's table agrees with release 26\.06\n$/,
    );
    // per message, the release whose definition VPP announced
    const lines = c.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('cnat_set_snat_policy '))).toMatch(/^cnat_set_snat_policy\s+26\.06$/);
    expect(lines.find((l) => l.startsWith('create_loopback '))).toMatch(/^create_loopback\s+25\.10, 26\.02, 26\.06$/);
    expect(lines.find((l) => l.startsWith('feature_cnat_enable_disable '))).toMatch(
      /^feature_cnat_enable_disable\s+26\.06$/,
    );
  });

  it('messages --check against a VPP 25.10 table: the older definitions match', async () => {
    const old = await startFakeVpp({ release: '25.10' });
    try {
      const c = await run(['--socket', old.socketPath, 'messages', '--check']);
      expect(c.code).toBe(0);
      const lines = c.stdout.split('\n');
      expect(lines.find((l) => l.startsWith('cnat_set_snat_policy '))).toMatch(
        /^cnat_set_snat_policy\s+25\.10, 26\.02$/,
      );
      // moved from ip to policer in 26.06, same CRC: one definition, all three releases
      expect(lines.find((l) => l.startsWith('ip_punt_police '))).toMatch(/^ip_punt_police\s+25\.10, 26\.02, 26\.06$/);
      expect(lines.find((l) => l.startsWith('feature_cnat_enable_disable '))).toMatch(
        /^feature_cnat_enable_disable\s+missing$/,
      );
      // a 25.10 table without npol is what a 26.02 without the npol plugin would announce too
      expect(c.stdout).toMatch(/VPP's table agrees with release 25\.10, 26\.02\n$/);
      const json = (await run(['--socket', old.socketPath, 'messages', '--json'])).stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { name: string; crc: string; releases: string[] });
      expect(json.find((r) => r.name === 'cnat_set_snat_policy')).toMatchObject({
        crc: '0xd3e6eaf4',
        releases: ['25.10', '26.02'],
      });
    } finally {
      await old.stop();
    }
  });

  it('--release pins one release: a 26.06 VPP fails the check for 25.10, a bad release is a usage error', async () => {
    const c = await run([...sock, '--release', '25.10', 'messages', '--check']);
    expect(c.code).toBe(EXIT.VPP_ERROR);
    expect(c.stderr).toContain('crc mismatch: cnat_set_snat_policy ours 0xd3e6eaf4, VPP 0x37a3ce23');
    expect(c.stdout).toMatch(/VPP's table agrees with release none of ours\n$/);
    const ok = await run([...sock, '-r', '26.06', 'messages', '--check']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/0 CRC mismatches, 0 not in VPP; VPP's table agrees with release 26\.06\n$/);
    const bad = await run([...sock, '--release', '24.10', 'messages']);
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.stderr).toBe('vpp-api: --release wants one of 25.10, 26.02, 26.06, not "24.10"\n');
  });

  it('messages --check exits 1 and names the messages whose CRC differs', async () => {
    const other = await startFakeVpp({ messages: { crc: { ip_route_add_del: '0x01020304' } } });
    try {
      const c = await run(['--socket', other.socketPath, 'messages', '--check']);
      expect(c.code).toBe(EXIT.VPP_ERROR);
      expect(c.stderr).toContain('crc mismatch: ip_route_add_del ours 0xb8ecfe0d, VPP 0x01020304');
      const t = await run(['--socket', other.socketPath, 'messages']);
      expect(t.stdout).toMatch(/ip_route_add_del\s+-\s+0xb8ecfe0d\s+crc-mismatch \(VPP 0x01020304\)/);
      const call = await run(['--socket', other.socketPath, 'call', 'ip_route_add_del', '{}']);
      expect(call.code).toBe(EXIT.VPP_ERROR);
      expect(call.stderr).toContain('VPP');
    } finally {
      await other.stop();
    }
  });

  it('usage errors exit 2 without connecting', async () => {
    const cases = [
      ['call'],
      ['call', 'no_such_message'],
      ['call', 'show_version', '{not json'],
      ['call', 'show_version', '[1]'],
      ['dump', 'show_version'],
      ['frobnicate'],
      ['--bogus'],
      [],
    ];
    for (const args of cases) {
      const r = await run(['--socket', '/nonexistent/api.sock', ...args]);
      expect(r.code, args.join(' ')).toBe(EXIT.USAGE);
    }
    const similar = await run(['call', 'loopback']);
    expect(similar.stderr).toContain('create_loopback');
  });

  it('a value that does not fit its field exits 2 with the field path', async () => {
    const r = await run([...sock, 'call', 'sw_interface_set_flags', '{"sw_if_index":-5}']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('sw_if_index');
  });
});

describe('vpp-api refuses the wrong command for a message', () => {
  it('call of a _dump or _get exits 2 with a usage message, like dump of a call', async () => {
    const c = await run([...sock, 'call', 'sw_interface_dump']);
    expect(c.code).toBe(EXIT.USAGE);
    expect(c.stderr).toContain('sw_interface_dump is a _dump request; use dump');
    const g = await run([...sock, 'call', 'sw_interface_tx_placement_get']);
    expect(g.code).toBe(EXIT.USAGE);
    expect(g.stderr).toContain('use dump');
    const d = await run([...sock, 'dump', 'show_version']);
    expect(d.code).toBe(EXIT.USAGE);
    const r = await run([...sock, 'call', 'show_version_reply']);
    expect(r.code).toBe(EXIT.USAGE);
  });
});

describe('vpp-api request JSON is checked by the schema', () => {
  it('64-bit integers as strings inside arrays are converted and sent', async () => {
    const r = await run([...sock, 'call', 'sock_init_shm', '{"configs":["5"]}']);
    // sent: the fake answers VPP's "unsupported" (there is no shared memory on the socket transport)
    expect(r.stderr).toContain('sock_init_shm: VNET_API_ERROR_UNSUPPORTED');
    expect(r.code).toBe(EXIT.VPP_ERROR);
  });

  it('nested enums by name are converted and sent', async () => {
    const route = { prefix: '10.77.0.0/24', paths: [{ sw_if_index: 4294967295, type: 'FIB_API_PATH_TYPE_DROP' }] };
    const r = await run([...sock, 'call', 'ip_route_add_del', JSON.stringify({ is_add: true, route })]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.OK);
  });

  it('unknown fields, at any depth, exit 2 naming the field', async () => {
    const top = await run([...sock, 'call', 'create_loopback', '{"mac":"02:00:00:00:00:01"}']);
    expect(top.code).toBe(EXIT.USAGE);
    expect(top.stderr).toContain('create_loopback.mac: unknown field "mac"');
    const deep = await run([...sock, 'call', 'ip_route_add_del', '{"route":{"paths":[{"nexthop":"10.0.0.2"}]}}']);
    expect(deep.code).toBe(EXIT.USAGE);
    expect(deep.stderr).toContain('ip_route_add_del.route.paths[0].nexthop: unknown field');
  });

  it('booleans must be true or false', async () => {
    for (const bad of ['"yes"', '{}', '1']) {
      const r = await run([...sock, 'call', 'ip_route_add_del', `{"is_add":${bad}}`]);
      expect(r.code).toBe(EXIT.USAGE);
      expect(r.stderr).toContain('ip_route_add_del.is_add: expected true or false');
    }
  });
});
