import { describe, expect, it } from 'vitest';
import { checkLinkName, checkLinkRef } from '../src/validate.js';
import { validateLinkAdd, validateLinkSet, type LinkAddSpec } from '../src/link.js';

const refused = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('checkLinkName (the kernel dev_valid_name rules, plus NUL and control characters)', () => {
  it.each([
    ['NUL', 'ab\0cd'],
    ['trailing NUL', 'eth0\0'],
    ['newline', 'eth\n0'],
    ['escape', 'eth\x1b0'],
    ['DEL', 'eth\x7f'],
    ['C1 control', 'eth\u00850'],
    ['empty', ''],
    ['16 bytes', 'a'.repeat(16)],
    ['15 characters but 16 bytes', 'é' + 'a'.repeat(14)],
    ['.', '.'],
    ['..', '..'],
    ['slash', 'a/b'],
    ['colon', 'eth0:1'],
    ['space', 'a b'],
    ['tab', 'a\tb'],
    ['no-break space', 'a\u00a0b'],
    ['UTF-8 byte 0xa0 (à is c3 a0)', 'à0'],
  ])('refuses %s, naming the field', (_what, name) => {
    expect(refused(() => checkLinkName('peer.name', name))).toMatchObject({
      name: 'InvalidArgumentError',
      code: 'EINVAL',
      field: 'peer.name',
      value: name,
    });
  });

  it.each([['eth0'], ['a'.repeat(15)], ['veth-pod_1.2'], ['é1'], ['@x'], ['...']])('accepts %s', (name) => {
    expect(checkLinkName('name', name)).toBe(name);
  });

  it('refuses non-strings, and applies the same rules to link references', () => {
    expect(refused(() => checkLinkName('name', 5))).toMatchObject({ field: 'name' });
    expect(refused(() => checkLinkRef('oif', 'a\0b'))).toMatchObject({ field: 'oif' });
    expect(checkLinkRef('oif', 3)).toBe(3);
  });

  it('is what link add and set use (nothing is sent for a NUL name)', () => {
    expect(
      refused(() => validateLinkAdd({ kind: 'veth', name: 'ab\0cd', peer: { name: 'zz0' } } as LinkAddSpec)),
    ).toMatchObject({ field: 'name' });
    expect(
      refused(() => validateLinkAdd({ kind: 'veth', name: 'ok0', peer: { name: 'p\0' } } as LinkAddSpec)),
    ).toMatchObject({ field: 'peer.name' });
    expect(refused(() => validateLinkSet({ name: 'x\ny' }))).toMatchObject({ field: 'name' });
  });
});
