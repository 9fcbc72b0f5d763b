/** Named namespaces made the iproute2 way, and the test factory's clean-up. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openNetlink } from '../../src/handle.js';
import { createNamedNetns, deleteNamedNetns, listNamedNetns, namedNetnsExists } from '../../src/netns.js';
import { createNetns, kernelSkipReason, liveNetns, removeAllNetns } from '../../src/testing/index.js';

const reason = await kernelSkipReason();
if (reason) console.log(`skip netns interop: ${reason}`);

describe.skipIf(reason !== undefined)('named network namespaces (kernel)', () => {
  afterAll(removeAllNetns);
  const name = `vpt-netns-${process.pid}-${Date.now().toString(36)}`;

  it('create, list, open inside, delete — and `ip netns` sees the same', async () => {
    try {
      const path = await createNamedNetns(name);
      expect(path).toBe(`/run/netns/${name}`);
      expect(listNamedNetns()).toContain(name);
      expect(namedNetnsExists(name)).toBe(true);
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toContain(name);
      const nl = await openNetlink({ netns: name });
      try {
        const links = await nl.link.list();
        expect(links.map((l) => l.name)).toEqual(['lo']);
        expect(links[0]?.up).toBe(false); // a fresh namespace's loopback starts down
        await nl.link.add({ kind: 'veth', name: 'inside0', peer: { name: 'inside1' } });
      } finally {
        nl.close();
      }
      // the namespace is distinct from the process's own
      const here = await openNetlink();
      try {
        expect(await here.link.find('inside0')).toBeUndefined();
      } finally {
        here.close();
      }
      await expect(createNamedNetns(name)).rejects.toMatchObject({ name: 'NativeAddonError', code: 'EEXIST' });
    } finally {
      if (namedNetnsExists(name)) await deleteNamedNetns(name);
    }
    expect(listNamedNetns()).not.toContain(name);
    await expect(deleteNamedNetns(name)).rejects.toMatchObject({ name: 'NetnsNotFoundError', netns: name });
  });

  it('refuses names that are not plain file names', async () => {
    await expect(createNamedNetns('../etc')).rejects.toMatchObject({ name: 'InvalidArgumentError', field: 'netns' });
    await expect(createNamedNetns('')).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });

  it('createNetns: unique names, loopback up, removed by remove()', async () => {
    const one = await createNetns('vpt-fac');
    const two = await createNetns('vpt-fac');
    expect(one.name).not.toBe(two.name);
    expect(liveNetns()).toEqual(expect.arrayContaining([one.name, two.name]));
    expect((await one.nl.link.get('lo')).up).toBe(true);
    await one.remove();
    await one.remove(); // idempotent
    expect(existsSync(one.path)).toBe(false);
    await removeAllNetns();
    expect(existsSync(two.path)).toBe(false);
    expect(liveNetns()).toEqual([]);
  });
});
