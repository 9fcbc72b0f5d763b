import { describe, expect, it } from 'vitest';
import { type AgentComponent, createRuntime } from '../src/runtime.js';
import { startHealthServer, createAgentMetrics } from '../src/health.js';

function component(name: string, log: string[], opts: { failStart?: boolean; stopMs?: number } = {}) {
  let synced = false;
  const c: AgentComponent & { sync(): void } = {
    name,
    async start() {
      log.push(`start ${name}`);
      if (opts.failStart) throw new Error(`${name} broke`);
    },
    async stop() {
      log.push(`stop ${name}`);
      if (opts.stopMs) await new Promise((r) => setTimeout(r, opts.stopMs));
    },
    synced: () => synced,
    details: () => ({ things: 1 }),
    sync() {
      synced = true;
    },
  };
  return c;
}

describe('runtime', () => {
  it('starts in order, is ready only when every component is synced, stops in reverse', async () => {
    const log: string[] = [];
    const a = component('a', log);
    const b = component('b', log);
    const rt = createRuntime({ components: [a, b], readinessPollMs: 5 });
    const ready = new Promise((r) => rt.addEventListener('agent:ready', r, { once: true }));
    await rt.start();
    expect(rt.ready()).toBe(false);
    a.sync();
    expect(rt.ready()).toBe(false);
    b.sync();
    await ready;
    expect(rt.ready()).toBe(true);
    expect(rt.status()).toEqual({
      a: { state: 'running', synced: true, details: { things: 1 } },
      b: { state: 'running', synced: true, details: { things: 1 } },
    });
    await rt.stop();
    expect(log).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(rt.live()).toBe(false);
    expect(rt.ready()).toBe(false);
  });

  it('a failed start stops what started, in reverse, and names the component', async () => {
    const log: string[] = [];
    const rt = createRuntime({
      components: [component('a', log), component('b', log, { failStart: true }), component('c', log)],
    });
    await expect(rt.start()).rejects.toMatchObject({ name: 'ComponentStartError', component: 'b' });
    expect(log).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(rt.status().c?.state).toBe('idle');
  });

  it('stop past the deadline reports what is still stopping', async () => {
    const log: string[] = [];
    const rt = createRuntime({
      components: [component('a', log), component('slow', log, { stopMs: 500 })],
      shutdownDeadlineMs: 50,
    });
    await rt.start();
    await expect(rt.stop()).rejects.toMatchObject({ name: 'ShutdownTimeoutError', pending: ['slow'] });
  });

  it('refuses two components with one name', () => {
    expect(() => createRuntime({ components: [component('a', []), component('a', [])] })).toThrow(/two components/);
  });
});

describe('health server', () => {
  it('serves liveness, readiness, status and metrics on loopback', async () => {
    const a = component('a', []);
    const rt = createRuntime({ components: [a], readinessPollMs: 5 });
    const metrics = createAgentMetrics();
    metrics.pods.set(3);
    const srv = await startHealthServer({
      listen: '127.0.0.1:0',
      runtime: rt,
      metrics,
      sections: () => ({ pods: [] }),
    });
    try {
      const get = (p: string) => fetch(`http://${srv.address}${p}`);
      await rt.start();
      expect((await get('/liveness')).status).toBe(200);
      expect((await get('/readiness')).status).toBe(503);
      a.sync();
      await new Promise((r) => setTimeout(r, 20));
      expect((await get('/readiness')).status).toBe(200);
      const status = (await (await get('/status')).json()) as Record<string, unknown>;
      expect(status).toMatchObject({ ready: true, components: { a: { state: 'running', synced: true } }, pods: [] });
      const text = await (await get('/metrics')).text();
      expect(text).toMatch(/^vectorplane_pods 3$/m);
      expect(text).toMatch(/vectorplane_process_resident_memory_bytes/);
      expect((await get('/nope')).status).toBe(404);
      expect((await fetch(`http://${srv.address}/status`, { method: 'POST' })).status).toBe(405);
      await rt.stop();
      expect((await get('/liveness')).status).toBe(503);
    } finally {
      await srv.close();
    }
  });
});
