/**
 * The VPP message codec: the contract types, codec errors, a registry, framing, and text helpers.
 * Generated bindings live in `src/generated/` and build on this.
 * @packageDocumentation
 */
export type { FieldDef, HeaderKind, MessageDef, ServiceDef } from './types.js';
export { VppDecodeError, VppEncodeError, type VppDecodeErrorCode, type VppEncodeErrorCode } from './errors.js';
export { MessageRegistry, type AnyMessageDef } from './registry.js';
export {
  DEFAULT_MAX_FRAME_SIZE,
  FRAME_HEADER_SIZE,
  FrameDecoder,
  frame,
  writeFrameHeader,
  type FrameErrorReason,
} from './frame.js';
export { fromHex, toHex, utf8Length } from './runtime.js';
