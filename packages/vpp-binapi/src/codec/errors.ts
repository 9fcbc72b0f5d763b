/**
 * Codec errors. One class per condition; callers branch on `.name` and `.code`, never `instanceof`
 * (the package ships ESM and CJS, so two copies of a class may exist at run time).
 */

/** Why a value could not be encoded. */
export type VppEncodeErrorCode =
  /** An integer outside its field's range, or not an integer (also a bad bigint). */
  | 'int_range'
  /** A value of the wrong JavaScript type (e.g. a string where a number belongs). */
  | 'bad_type'
  /** A string longer than its fixed size or `limit`, in UTF-8 bytes. */
  | 'string_too_long'
  /** Text that is not an IPv4/IPv6 address, prefix or MAC address. */
  | 'bad_address'
  /** An array longer than its fixed length, or longer than its count field can express. */
  | 'array_length'
  /** A discriminated union whose tag matches none of its members. */
  | 'bad_discriminator'
  /**
   * A union whose data contradicts itself: a tagged union without the member its tag selects (or with
   * another member as well), or a plain union whose non-zero members disagree on the bytes they share.
   */
  | 'union_mismatch'
  /** A string with an embedded NUL character (VPP reads strings as C strings and would cut it there). */
  | 'string_nul'
  /** `encodeInto` was given a buffer without room for the message. */
  | 'buffer_too_small';

/** A message could not be encoded; `path` names the field (`route.paths[1].weight`). */
export class VppEncodeError extends Error {
  override readonly name = 'VppEncodeError';
  readonly code: VppEncodeErrorCode;
  /** Dotted path of the offending field inside the message, `''` for the message itself. */
  path: string;
  /** VPP message name, once known (set by the message's `encode`/`encodeInto`). */
  messageName: string | undefined;
  /** What was wrong, without the location. */
  readonly detail: string;

  constructor(code: VppEncodeErrorCode, path: string, detail: string, options?: { cause?: unknown }) {
    super(formatMessage(undefined, path, detail), options);
    this.code = code;
    this.path = path;
    this.detail = detail;
    this.messageName = undefined;
  }
}

/** Why bytes could not be decoded. */
export type VppDecodeErrorCode =
  /** The payload ends before the message does. */
  | 'truncated'
  /** A count or length field claims more elements or bytes than the payload holds. */
  | 'bad_count'
  /** A value that has no meaning for its field (e.g. an address family other than 0/1). */
  | 'bad_value'
  /** A discriminated union whose tag matches none of its members. */
  | 'bad_discriminator';

/** A payload could not be decoded; `offset` is where in the buffer it went wrong. */
export class VppDecodeError extends Error {
  override readonly name = 'VppDecodeError';
  readonly code: VppDecodeErrorCode;
  /** Byte offset in the buffer given to `decode`. */
  readonly offset: number;
  /** VPP message name, once known. */
  messageName: string | undefined;
  /** Dotted path of the field being decoded, when known. */
  path: string;
  readonly detail: string;

  constructor(code: VppDecodeErrorCode, offset: number, detail: string, path = '') {
    super(formatMessage(undefined, path, `${detail} (at byte ${offset})`));
    this.code = code;
    this.offset = offset;
    this.path = path;
    this.detail = detail;
    this.messageName = undefined;
  }
}

function formatMessage(messageName: string | undefined, path: string, detail: string): string {
  const where = messageName ? (path ? `${messageName}.${path}` : messageName) : path;
  return where ? `${where}: ${detail}` : detail;
}

/** A codec error seen from outside its class (it may come from the other module format's copy). */
type CodecErrorFields = {
  name?: unknown;
  path?: unknown;
  detail?: unknown;
  messageName?: unknown;
  message?: unknown;
  offset?: unknown;
};

/**
 * The `message` a codec error's fields give, under `messageName`: what the constructors write, and
 * what the helpers below (and `defineMessage`'s offset rebasing) rewrite after changing a field.
 * @internal
 */
export function messageOf(e: CodecErrorFields, messageName: string | undefined): string {
  return formatMessage(
    messageName,
    String(e.path ?? ''),
    e.name === 'VppDecodeError' ? `${String(e.detail)} (at byte ${String(e.offset)})` : String(e.detail),
  );
}

/**
 * Prefixes the field path of a codec error thrown by a nested encoder/decoder; other errors pass
 * through unchanged. Used by generated code only.
 * @internal
 */
export function nestError(err: unknown, seg: string): unknown {
  const e = err as CodecErrorFields;
  if ((e?.name === 'VppEncodeError' || e?.name === 'VppDecodeError') && typeof e.path === 'string') {
    e.path = e.path === '' ? seg : e.path.startsWith('[') ? seg + e.path : `${seg}.${e.path}`;
    e.message = messageOf(e, undefined);
  }
  return err;
}

/**
 * Records the message name on a codec error (once, at the outermost level). Used by generated code.
 * @internal
 */
export function withMessageName(err: unknown, messageName: string): unknown {
  const e = err as CodecErrorFields;
  if ((e?.name === 'VppEncodeError' || e?.name === 'VppDecodeError') && e.messageName === undefined) {
    e.messageName = messageName;
    e.message = messageOf(e, messageName);
  }
  return err;
}
