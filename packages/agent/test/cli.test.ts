import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load as parseYaml } from 'js-yaml';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { EXIT, main } from '../src/cli.js';
import { startHealthServer, type HealthServer } from '../src/health.js';
import { createRuntime, type AgentComponent } from '../src/runtime.js';

function io(env: Record<string, string> = { NODENAME: 'n1' }) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (s: string) => void out.push(s),
    err: (s: string) => void err.push(s),
    env,
    text: () => out.join(''),
    errors: () => err.join(''),
  };
}
const noRun = async () => {
  throw new Error('run must not be called');
};

describe('vectorplane CLI', () => {
  it('--help and no command', async () => {
    const a = io();
    expect(await main(['--help'], a, noRun)).toBe(EXIT.OK);
    expect(a.text()).toMatch(/Commands:/);
    const b = io();
    expect(await main([], b, noRun)).toBe(EXIT.USAGE);
    const c = io();
    expect(await main(['status', '--help'], c, noRun)).toBe(EXIT.OK);
    expect(c.text()).toMatch(/Exit 0 when ready/);
  });

  it('unknown commands and options are usage errors', async () => {
    const a = io();
    expect(await main(['frobnicate'], a, noRun)).toBe(EXIT.USAGE);
    expect(a.errors()).toMatch(/unknown command 'frobnicate'/);
    const b = io();
    expect(await main(['status', '--nope'], b, noRun)).toBe(EXIT.USAGE);
    const c = io();
    expect(await main(['bgp', 'neighbours'], c, noRun)).toBe(EXIT.USAGE);
  });

  it('config --print shows the effective configuration, as YAML or JSON', async () => {
    const a = io({ NODENAME: 'n1', SERVICE_PREFIX: '10.96.0.0/12' });
    expect(await main(['config', '--print'], a, noRun)).toBe(EXIT.OK);
    expect(parseYaml(a.text())).toMatchObject({ nodeName: 'n1', serviceCidrs: ['10.96.0.0/12'] });
    const b = io({ NODENAME: 'n1' });
    expect(await main(['config', '--print', '--json'], b, noRun)).toBe(EXIT.OK);
    expect(JSON.parse(b.text())).toMatchObject({ nodeName: 'n1', kube: { mode: 'apiserver' } });
  });

  it('config --print names the bad variable and exits 2', async () => {
    const a = io({ NODENAME: 'n1', SERVICE_PREFIX: 'nope' });
    expect(await main(['config', '--print'], a, noRun)).toBe(EXIT.USAGE);
    expect(a.errors()).toMatch(/SERVICE_PREFIX field '0': not a CIDR/);
    const f = join(mkdtempSync(join(tmpdir(), 'vp-cli-')), 'c.yaml');
    writeFileSync(f, 'policies: { backend: nope }\n');
    const b = io();
    expect(await main(['config', '--print', '--config', f], b, noRun)).toBe(EXIT.USAGE);
    expect(b.errors()).toContain(`config file ${f} field 'policies.backend'`);
  });

  it('run is delegated with the config file', async () => {
    let got: string | undefined = 'unset';
    expect(await main(['run', '--config', '/x.yaml'], io(), async (f) => ((got = f), 0))).toBe(0);
    expect(got).toBe('/x.yaml');
  });

  it('status of an agent that does not answer exits 4', async () => {
    const a = io();
    expect(await main(['status', '--address', '127.0.0.1:1'], a, noRun)).toBe(EXIT.UNREACHABLE);
    expect(a.errors()).toMatch(/no agent answers/);
  });

  describe('against a running agent', () => {
    let server: HealthServer;
    let synced = false;
    const comp: AgentComponent = {
      name: 'cni-server',
      start: async () => {},
      stop: async () => {},
      synced: () => synced,
    };
    const rt = createRuntime({ components: [comp], readinessPollMs: 5 });
    beforeAll(async () => {
      await rt.start();
      server = await startHealthServer({
        listen: '127.0.0.1:0',
        runtime: rt,
        sections: () => ({
          pods: [{ pod: 'default/a', swIfIndex: 3, ips: ['10.0.0.2'] }],
          bgp: { peers: [{ peer: '192.0.2.1', state: 'established' }], routes: [] },
        }),
      });
    });
    afterAll(async () => {
      await server.close();
      await rt.stop();
    });

    it('status exits 3 until ready, then 0', async () => {
      const a = io();
      expect(await main(['status', '--address', server.address], a, noRun)).toBe(EXIT.NOT_READY);
      expect(a.text()).toMatch(/cni-server\s+running\s+false/);
      synced = true;
      await new Promise((r) => setTimeout(r, 20));
      const b = io();
      expect(await main(['status', '--json', '--address', server.address], b, noRun)).toBe(EXIT.OK);
      expect(JSON.parse(b.text())).toMatchObject({ ready: true });
    });

    it('pods and bgp peers as tables and JSON', async () => {
      const a = io();
      expect(await main(['pods', '--address', server.address], a, noRun)).toBe(EXIT.OK);
      expect(a.text()).toMatch(/^POD\s+SWIFINDEX\s+IPS\ndefault\/a\s+3\s+\["10.0.0.2"\]$/m);
      const b = io();
      expect(await main(['bgp', 'peers', '--json', '--address', server.address], b, noRun)).toBe(EXIT.OK);
      expect(JSON.parse(b.text())).toEqual([{ peer: '192.0.2.1', state: 'established' }]);
      const c = io();
      expect(await main(['bgp', 'routes', '--address', server.address], c, noRun)).toBe(EXIT.OK);
      expect(c.text()).toBe('(none)\n');
    });
  });
});

describe('vectorplane vppctl (fake VPP)', () => {
  let fake: FakeVpp;
  let socket: string;
  beforeAll(async () => {
    socket = join(mkdtempSync(join(tmpdir(), 'vp-vppctl-')), 'api.sock');
    fake = await startFakeVpp({ socket });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  it("passes the command to VPP's CLI over the API and prints the answer; --json wraps it", async () => {
    const t = io();
    expect(await main(['vppctl', '--socket', socket, 'show', 'version'], t, noRun)).toBe(EXIT.OK);
    expect(t.text()).toMatch(/vpp v?26\.06/i);
    const j = io();
    expect(await main(['vppctl', '--json', '--socket', socket, 'show', 'version'], j, noRun)).toBe(EXIT.OK);
    expect(JSON.parse(j.text())).toMatchObject({ command: 'show version' });
  });

  it('no command is a usage error; an absent VPP exits 4', async () => {
    expect(await main(['vppctl', '--socket', socket], io(), noRun)).toBe(EXIT.USAGE);
    const t = io();
    expect(await main(['vppctl', '--socket', `${socket}.absent`, 'show', 'version'], t, noRun)).toBe(EXIT.UNREACHABLE);
    expect(t.errors()).toContain(`${socket}.absent`);
  });
});
