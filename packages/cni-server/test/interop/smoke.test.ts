import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, skipReason, addReq, type Bed } from './helpers.js';

const skip = await skipReason();
if (skip) console.log(`skip: ${skip}`);

describe.skipIf(!!skip)('smoke', () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await startBed();
    await bed.server.start();
  });
  afterAll(async () => bed?.close());

  it('adds and deletes a pod', async () => {
    const ns = await bed.pod();
    const r = await bed.server.add(addReq(ns, '10.10.0.5/32'));
    expect(r.error_message).toBe('');
    expect(r.successful).toBe(true);
    const d = await bed.server.del({ netns: ns.path, interface_name: 'eth0' });
    expect(d.successful).toBe(true);
  });
});
