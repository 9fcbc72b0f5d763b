/**
 * Everything generated bindings import, under one specifier. Bindings generated for other schemas with
 * `vpp-binapi generate` import this through the package (see the generator's `--runtime` option).
 * @packageDocumentation
 */
export type { MessageDef, ServiceDef, FieldDef, HeaderKind } from './types.js';
export { defineMessage, type MessageImpl, type MessageMeta } from './define.js';
export { nestError } from './errors.js';
export {
  EMPTY_ARRAY,
  EMPTY_OBJECT,
  arrayLengthError,
  arrayOf,
  badCount,
  badDiscriminator,
  badDiscriminatorOnDecode,
  bytesLength,
  countOf,
  f64,
  i64,
  intError,
  isZero,
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
