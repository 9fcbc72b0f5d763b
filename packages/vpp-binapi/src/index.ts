/**
 * VPP's binary API for Node: typed bindings generated from VPP 26.06's schemas, a socket client for
 * VPP's `api.sock` (request/reply, dumps and `_get` streams as async iterables, `want_*` events,
 * pipelining, timeouts, reconnect), and the `vpp-api` command line. A fake VPP and a conformance suite
 * live in `@vectorplane/vpp-binapi/testing`.
 *
 * @example
 * ```ts
 * import { connectVpp } from '@vectorplane/vpp-binapi';
 *
 * const vpp = await connectVpp({ socket: '/run/vpp/api.sock' });
 * const { sw_if_index } = await vpp.call('create_loopback', { mac_address: '02:00:00:00:00:01' });
 * await vpp.call('sw_interface_set_flags', { sw_if_index, flags: 1 });
 * for await (const itf of vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff })) {
 *   console.log(itf.sw_if_index, itf.interface_name);
 * }
 * await vpp.close();
 * ```
 * @packageDocumentation
 */

// client
export { VppClient, DEFAULT_VPP_API_SOCKET, SOCKCLNT_CREATE_ID, SOCKCLNT_CREATE_REPLY_ID } from './client/client.js';
export { connectVpp, connectVppWith, defaultBindings, type VppApi, type VppReleaseApi } from './client/connect.js';
export {
  allReleasesBindings,
  definitionsOf,
  isVppRelease,
  primaryRelease,
  releaseBindings,
  releaseMessages,
  releases,
  releasesOf,
  type VppRelease,
} from './client/releases.js';
export {
  createBindings,
  type AnyVppApi,
  type CallReply,
  type CallRequest,
  type DumpDetails,
  type DumpRequest,
  type EventMessage,
  type EventRequest,
  type GetDetails,
  type GetRequest,
  type RequestInit,
  type ReleaseMessages,
  type ReleaseOf,
  type VppApiShape,
  type VppBindings,
  type VppCallOptions,
  type VppClientEvents,
  type VppClientInit,
  type VppCompat,
  type VppCrcMismatch,
  type VppDownDetail,
  type VppErrorDetail,
  type VppLogger,
  type VppReconnectInit,
  type VppSubscribeOptions,
  type VppSubscription,
  type VppUpDetail,
} from './client/types.js';
export { VPP_RETVAL_EAGAIN, vppErrorName, vppErrorSymbol, vppErrorTable } from './client/retval.js';

// errors
export {
  VppAbortError,
  VppApiError,
  VppClientClosedError,
  VppClientError,
  VppConnectError,
  VppCrcMismatchError,
  VppDecodeError,
  VppDisconnectedError,
  VppEncodeError,
  VppFrameTooLargeError,
  VppFrameTruncatedError,
  VppHandshakeError,
  VppMalformedMessageError,
  VppTimeoutError,
  VppUnexpectedContextError,
  VppUnexpectedMessageError,
  VppUnknownMessageError,
  VppUnknownMessageIdError,
  VppUnsupportedMessageError,
  VppStreamOverflowError,
  VppInvalidRequestError,
  type VppDecodeErrorCode,
  type VppEncodeErrorCode,
} from './errors.js';

export { VppUnknownReleaseError, type VppKnownCrc } from './client/errors.js';

// codec
export type { FieldDef, HeaderKind, MessageDef, ServiceDef } from './codec/types.js';
export { MessageRegistry, type AnyMessageDef } from './codec/registry.js';
export {
  DEFAULT_MAX_FRAME_SIZE,
  FRAME_HEADER_SIZE,
  FrameDecoder,
  frame,
  writeFrameHeader,
  type FrameErrorReason,
} from './codec/frame.js';
export { fromHex, toHex, utf8Length } from './codec/runtime.js';

// generated bindings: registries and type maps by name; every message codec and type (VPP's names)
export {
  messages,
  messagesByName,
  messagesByNameCrc,
  modules,
  services,
  servicesByRequest,
  type VppCalls,
  type VppDumps,
  type VppEvents,
  type VppGets,
  type VppMessages,
  messageVariants,
  allMessagesByNameCrc,
  releaseDiffs,
  type VppAllCalls,
  type VppAllDumps,
  type VppAllEvents,
  type VppAllGets,
  type VppAllMessages,
  type VppReleaseCalls,
  type VppReleaseDumps,
  type VppReleaseEvents,
  type VppReleaseGets,
  type VppReleaseMessages,
} from './generated/index.js';
export * from './generated/index.js';
