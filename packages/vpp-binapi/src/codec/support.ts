/**
 * Everything generated bindings import, under one specifier, plus the public codec API. Bindings
 * generated for other schemas with `vpp-binapi generate` import this as
 * `@vectorplane/vpp-binapi/codec` (the generator's `--runtime` option changes the specifier).
 * @packageDocumentation
 */
export * from './index.js';
export type { MessageDef, ServiceDef, FieldDef, HeaderKind } from './types.js';
export { defineMessage, message, parseFields, type MessageImpl, type MessageMeta } from './define.js';
export { nestError } from './errors.js';
export {
  EMPTY_OBJECT,
  arrayLengthError,
  arrayOf,
  badCount,
  badDiscriminator,
  badDiscriminatorOnDecode,
  bool,
  bytesLength,
  countOf,
  f64,
  i64,
  intError,
  isIp6Text,
  isZero,
  mergeMember,
  objectOf,
  taggedMember,
  readAddress,
  readBytes,
  readFixedString,
  readIp4,
  readIp4Prefix,
  readIp6,
  readIp6Prefix,
  readMac,
  readPrefix,
  readVarString,
  sizeVarString,
  truncatedAt,
  u64,
  writeAddress,
  writeBytes,
  zeroBytes,
  writeFixedBytes,
  writeFixedString,
  writeIp4,
  writeIp4Prefix,
  writeIp6,
  writeIp6Prefix,
  writeMac,
  writePrefix,
  writeVarString,
  type Cursor,
} from './runtime.js';
export { boolOr, boolValue, intOr, intValue, wF64, wI64, wU64 } from './fields.js';
