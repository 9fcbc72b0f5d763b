import { statSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNI_METHODS, createCniClient, type CniClient } from '../../src/index.js';
import { addReq, skipReason, startBed, type Bed } from './helpers.js';

const skip = await skipReason();
if (skip) console.log(`skip: ${skip}`);

function raw(socket: string, path: string, body: Buffer): Promise<{ err: grpc.ServiceError | null; reply?: Buffer }> {
  const c = new grpc.Client(`unix:${socket}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    c.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      (err, reply) => {
        c.close();
        resolve(reply === undefined ? { err } : { err, reply });
      },
    );
  });
}

describe.skipIf(!!skip)('gRPC on a unix socket', () => {
  let bed: Bed;
  let client: CniClient;
  beforeAll(async () => {
    bed = await startBed({ server: { maxMessageBytes: 64 * 1024 } });
    await bed.server.start();
    client = createCniClient(bed.socket);
  });
  afterAll(async () => {
    client?.close();
    for (const p of bed?.server.pods() ?? []) await bed.server.del({ netns: p.netns, interface_name: p.interfaceName });
    await bed?.close();
  });

  it('listens with mode 0600', () => {
    expect(statSync(bed.socket).mode & 0o777).toBe(0o600);
    expect(bed.server.socketPath).toBe(bed.socket);
  });

  it('Add and Del over the wire', async () => {
    const ns = await bed.pod();
    const r = await client.add(addReq(ns, '10.40.0.1/32'));
    expect(r).toMatchObject({ successful: true, error_message: '' });
    expect(r.container_mac).toMatch(/^02:/);
    expect(bed.server.pods().map((p) => p.netns)).toContain(ns.path);
    expect(await client.del({ netns: ns.path, interface_name: 'eth0' })).toEqual({
      successful: true,
      error_message: '',
    });
    expect(bed.server.pods()).toHaveLength(0);
  });

  it('errors come back in-band', async () => {
    const r = await client.add(addReq({ path: '/run/netns/cni-missing' } as never, '10.40.0.2'));
    expect(r.successful).toBe(false);
    expect(r.error_message).toMatch(/NetnsNotFoundError/);
  });

  it('a garbage protobuf gets an in-band error; a message far too large is refused by gRPC; the server goes on', async () => {
    const g = await raw(bed.socket, CNI_METHODS.Add, Buffer.from('0aff01', 'hex'));
    expect(g.err).toBeNull();
    expect(g.reply?.toString('latin1')).toMatch(/does not decode/);
    const big = await raw(bed.socket, CNI_METHODS.Add, Buffer.alloc(256 * 1024, 0x0a));
    expect(big.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const gd = await raw(bed.socket, CNI_METHODS.Del, Buffer.from('12ff', 'hex'));
    expect(gd.reply?.toString('latin1')).toMatch(/DelRequest does not decode/);
    const ns = await bed.pod();
    expect((await client.add(addReq(ns, '10.40.0.3'))).successful).toBe(true);
    await client.del({ netns: ns.path, interface_name: 'eth0' });
  });

  it('stop() removes the socket', async () => {
    const other = await startBed({ server: {} });
    await other.server.start();
    await other.server.stop();
    expect(() => statSync(other.socket)).toThrow();
    await other.close();
  });
});
