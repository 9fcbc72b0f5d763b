import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, NetlinkError, ProtocolError } from '../src/errors.js';
import { unlessFeatureMissing, unlessKindMissing } from '../src/testing/index.js';

const kernel = (code: string, errno: number, extack?: string): NetlinkError =>
  new NetlinkError({ errno, code, extack });
const fails = (e: Error) => async (): Promise<void> => {
  throw e;
};

describe('unlessKindMissing', () => {
  it("skips only on the kernel's 'Unknown device type' answer (EOPNOTSUPP from rtnl_newlink)", async () => {
    await expect(unlessKindMissing('dummy', fails(kernel('EOPNOTSUPP', 95, 'Unknown device type')))).resolves.toBe(
      "this kernel lacks link kind 'dummy' (Unknown device type)",
    );
    await expect(unlessKindMissing('dummy', async () => {})).resolves.toBeUndefined();
  });
  it('throws any other EOPNOTSUPP (a driver refusing an option), EOPNOTSUPP without that ack, and other errors', async () => {
    const other = kernel('EOPNOTSUPP', 95, 'Only one IPv6 nexthop');
    await expect(unlessKindMissing('vlan', fails(other))).rejects.toBe(other);
    const bare = kernel('EOPNOTSUPP', 95);
    await expect(unlessKindMissing('vlan', fails(bare))).rejects.toBe(bare);
    // Our own error mentioning the words is not the kernel's answer.
    const ours = new Error('Unknown device type');
    await expect(unlessKindMissing('vlan', fails(ours))).rejects.toBe(ours);
    const einval = kernel('EINVAL', 22, 'Unknown device type');
    await expect(unlessKindMissing('vlan', fails(einval))).rejects.toBe(einval);
  });
});

describe('unlessFeatureMissing', () => {
  it('skips when the kernel refuses the message family (EOPNOTSUPP or EINVAL)', async () => {
    await expect(unlessFeatureMissing('nexthop objects', fails(kernel('EOPNOTSUPP', 95)))).resolves.toBe(
      'this kernel lacks nexthop objects (EOPNOTSUPP)',
    );
    await expect(unlessFeatureMissing('nexthop objects', fails(kernel('EINVAL', 22)))).resolves.toMatch(
      /^this kernel lacks nexthop objects/,
    );
    await expect(unlessFeatureMissing('nexthop objects', async () => [])).resolves.toBeUndefined();
  });
  it('throws decode errors, our own refusals and other kernel errors: those are failures', async () => {
    for (const e of [
      new ProtocolError('truncated attribute'),
      new InvalidArgumentError('id', 0, 'must be positive'),
      kernel('EPERM', 1),
      new TypeError('x'),
    ]) {
      await expect(unlessFeatureMissing('nexthop objects', fails(e))).rejects.toBe(e);
    }
  });
});
