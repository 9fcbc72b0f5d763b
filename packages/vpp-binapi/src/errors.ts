/**
 * Every error class of @vectorplane/vpp-binapi, one per condition. Branch on `err.name` / `err.code`,
 * never `instanceof` (the package ships ESM and CJS, so two copies of a class can exist at run time).
 */
export { VppDecodeError, VppEncodeError, type VppDecodeErrorCode, type VppEncodeErrorCode } from './codec/errors.js';
export {
  VppAbortError,
  VppApiError,
  VppClientClosedError,
  VppClientError,
  VppConnectError,
  VppCrcMismatchError,
  VppDisconnectedError,
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
} from './client/errors.js';
