import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../src/config.js';
import type { AgentConfigError } from '../src/errors.js';

function configError(fn: () => unknown): AgentConfigError {
  try {
    fn();
  } catch (err) {
    expect((err as Error).name).toBe('AgentConfigError');
    return err as AgentConfigError;
  }
  throw new Error('expected AgentConfigError');
}

function file(text: string, name = 'agent.yaml'): string {
  const p = join(mkdtempSync(join(tmpdir(), 'vp-agent-')), name);
  writeFileSync(p, text);
  return p;
}

describe('loadAgentConfig', () => {
  it('fills defaults and takes the node name from NODENAME', () => {
    const c = loadAgentConfig({ env: { NODENAME: 'node-a' } });
    expect(c.nodeName).toBe('node-a');
    expect(c.kube.mode).toBe('apiserver');
    expect(c.health.listen).toBe('127.0.0.1:9090');
    expect(c.policies.backend).toBe('auto');
    expect(c.cni.socket).toBe('/var/run/calico/cni-server.sock');
  });

  it('reads Calico/VPP variables as a drop-in', () => {
    const c = loadAgentConfig({
      env: {
        NODENAME: 'n',
        SERVICE_PREFIX: '10.96.0.0/12, fd00:96::/108',
        CALICOVPP_LOG_LEVEL: 'DEBUG',
        CALICOVPP_DEBUG: '{"servicesEnabled": false, "gsoEnabled": false}',
        CALICOVPP_FEATURE_GATES: '{"memifEnabled": true}',
        CALICOVPP_INTERFACES: '{"uplinkInterfaces":[{"interfaceName":"eth1"}]}',
        CALICOVPP_TAP0_ADDR: '169.254.0.1',
      },
    });
    expect(c.serviceCidrs).toEqual(['10.96.0.0/12', 'fd00:96::/108']);
    expect(c.log.level).toBe('debug');
    expect(c.services.enabled).toBe(false);
    expect(c.features.gsoEnabled).toBe(false);
    expect(c.features.memifEnabled).toBe(true);
    expect(c.vpp.managerEnv).toEqual({
      CALICOVPP_INTERFACES: '{"uplinkInterfaces":[{"interfaceName":"eth1"}]}',
      CALICOVPP_TAP0_ADDR: '169.254.0.1',
    });
  });

  it('the environment overrides the file, the file overrides defaults', () => {
    const f = file(
      'nodeName: from-file\nlog: { level: warn, components: { bgp: debug } }\nservices: { lbType: maglev }\n',
    );
    const c = loadAgentConfig({ env: { VECTORPLANE_CONFIG: f, CALICOVPP_LOG_LEVEL: 'error' } });
    expect(c.nodeName).toBe('from-file');
    expect(c.log.level).toBe('error');
    expect(c.log.components).toEqual({ bgp: 'debug' });
    expect(c.services.lbType).toBe('maglev');
  });

  it('stateDir: default, from the file, from VECTORPLANE_STATE_DIR; an empty one is refused naming the file and field', () => {
    expect(loadAgentConfig({ env: { NODENAME: 'n' } }).stateDir).toBe('/var/lib/vectorplane');
    const f = file('stateDir: /srv/vp\n');
    expect(loadAgentConfig({ env: { NODENAME: 'n' }, file: f }).stateDir).toBe('/srv/vp');
    expect(loadAgentConfig({ env: { NODENAME: 'n', VECTORPLANE_STATE_DIR: '/run/vp' }, file: f }).stateDir).toBe(
      '/run/vp',
    );
    const bad = file('stateDir: ""\n');
    const err = configError(() => loadAgentConfig({ env: { NODENAME: 'n' }, file: bad }));
    expect(err.message).toContain(bad);
    expect(err.message).toContain('stateDir');
  });

  it('bgp.ipamBlocks: none by default, from VECTORPLANE_IPAM_BLOCKS; a bad one names the variable and its index', () => {
    expect(loadAgentConfig({ env: { NODENAME: 'n' } }).bgp.ipamBlocks).toEqual([]);
    const c = loadAgentConfig({ env: { NODENAME: 'n', VECTORPLANE_IPAM_BLOCKS: '10.244.1.0/24, fd00:244:1::/64' } });
    expect(c.bgp.ipamBlocks).toEqual(['10.244.1.0/24', 'fd00:244:1::/64']);
    const e = configError(() =>
      loadAgentConfig({ env: { NODENAME: 'n', VECTORPLANE_IPAM_BLOCKS: '10.244.1.0/24,10.244.2.0' } }),
    );
    expect(e.problems).toEqual([
      expect.objectContaining({ origin: { kind: 'env', variable: 'VECTORPLANE_IPAM_BLOCKS' }, field: '1' }),
    ]);
  });

  it("bgp.usePodCidr from Calico's USE_POD_CIDR; anything but true/false is refused naming the variable", () => {
    expect(loadAgentConfig({ env: { NODENAME: 'n' } }).bgp.usePodCidr).toBe(false);
    expect(loadAgentConfig({ env: { NODENAME: 'n', USE_POD_CIDR: 'true' } }).bgp.usePodCidr).toBe(true);
    const e = configError(() => loadAgentConfig({ env: { NODENAME: 'n', USE_POD_CIDR: 'yes' } }));
    expect(e.problems).toEqual([expect.objectContaining({ origin: { kind: 'env', variable: 'USE_POD_CIDR' } })]);
  });

  it('standalone mode from VECTORPLANE_MANIFESTS', () => {
    const c = loadAgentConfig({ env: { NODENAME: 'n', VECTORPLANE_MANIFESTS: '/tmp/m' } });
    expect(c.kube).toMatchObject({ mode: 'folder', manifests: '/tmp/m' });
  });

  it('names the variable and the field of a bad environment value', () => {
    const e = configError(() =>
      loadAgentConfig({
        env: { NODENAME: 'n', SERVICE_PREFIX: '10.96.0.0/12,banana', CALICOVPP_DEBUG: '{"gsoEnabled": "yes"}' },
      }),
    );
    expect(e.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ origin: { kind: 'env', variable: 'SERVICE_PREFIX' }, field: '1' }),
        expect.objectContaining({ origin: { kind: 'env', variable: 'CALICOVPP_DEBUG' }, field: 'gsoEnabled' }),
      ]),
    );
    expect(e.message).toContain('SERVICE_PREFIX');
    expect(e.message).toContain("field 'gsoEnabled'");
  });

  it('names the file and the field of a bad file value, and refuses unknown keys', () => {
    const f = file(
      '{"health": {"listen": "0.0.0.0:99999"}, "policies": {"backend": "iptables"}, "bogus": 1}',
      'a.json',
    );
    const e = configError(() => loadAgentConfig({ env: { NODENAME: 'n' }, file: f }));
    const fields = e.problems.map((p) => p.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['health.listen', 'policies.backend']));
    expect(e.problems.every((p) => p.origin.kind === 'file' && p.origin.file === f)).toBe(true);
    expect(e.message).toMatch(/bogus/);
  });

  it('reports malformed JSON in a variable and unreadable or malformed files', () => {
    expect(
      configError(() => loadAgentConfig({ env: { NODENAME: 'n', CALICOVPP_FEATURE_GATES: '{nope' } })).message,
    ).toMatch(/CALICOVPP_FEATURE_GATES: not JSON/);
    expect(configError(() => loadAgentConfig({ env: { NODENAME: 'n' }, file: '/nonexistent/x.yaml' })).message).toMatch(
      /cannot read/,
    );
    expect(configError(() => loadAgentConfig({ env: { NODENAME: 'n' }, file: file('a: [1,') })).message).toMatch(
      /not YAML/,
    );
  });

  it('folder mode without a folder is refused', () => {
    const e = configError(() => loadAgentConfig({ env: { NODENAME: 'n' }, file: file('kube: { mode: folder }') }));
    expect(e.problems[0]?.field).toBe('kube.mode');
  });
});
