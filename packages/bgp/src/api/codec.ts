import protobuf from 'protobufjs';
import { GOBGP_PROTO, GOOGLE_PROTO } from './proto.js';
import type { ApiAny } from './types.js';

/** Prefix of every `google.protobuf.Any` type URL GoBGP uses. */
export const TYPE_URL_PREFIX = 'type.googleapis.com/apipb.';

let rootCache: protobuf.Root | undefined;

/** The protobufjs root holding the GoBGP v3 subset (built once). @internal */
export function gobgpRoot(): protobuf.Root {
  if (rootCache) return rootCache;
  const root = new protobuf.Root();
  protobuf.parse(GOOGLE_PROTO, root, { keepCase: true });
  protobuf.parse(GOBGP_PROTO, root, { keepCase: true });
  root.resolveAll();
  rootCache = root;
  return root;
}

const typeCache = new Map<string, protobuf.Type>();

/** The message type `apipb.<name>` (or a fully-qualified name). @internal */
export function messageType(name: string): protobuf.Type {
  let t = typeCache.get(name);
  if (!t) {
    t = gobgpRoot().lookupType(name.includes('.') ? name : `apipb.${name}`);
    typeCache.set(name, t);
  }
  return t;
}

const TO_OBJECT: protobuf.IConversionOptions = {
  enums: String,
  longs: Number,
  bytes: Uint8Array as unknown as typeof Array,
  defaults: false,
  arrays: false,
  oneofs: false,
};

/** Encode a plain object as the message `name`. Unknown enum names and wrong types throw. @internal */
export function encodeMessage(name: string, value: object): Uint8Array {
  const t = messageType(name);
  return t.encode(t.fromObject(value as Record<string, unknown>)).finish();
}

/** Decode bytes of the message `name` into a plain object (enums as names, longs as numbers). @internal */
export function decodeMessage<T>(name: string, bytes: Uint8Array): T {
  const t = messageType(name);
  return t.toObject(t.decode(bytes), TO_OBJECT) as T;
}

/** Pack a plain object as `google.protobuf.Any` of `apipb.<name>`. */
export function packAny(name: string, value: object): ApiAny {
  return { type_url: TYPE_URL_PREFIX + name, value: encodeMessage(name, value) };
}

/** The unpacked content of a `google.protobuf.Any`: its apipb type name and its value. */
export interface Unpacked {
  /** e.g. `IPAddressPrefix`, `NextHopAttribute`; the full URL when the type is not apipb's. */
  type: string;
  value: Record<string, unknown>;
}

/** Unpack a `google.protobuf.Any`; types outside our subset come back with an empty value. */
export function unpackAny(any: ApiAny): Unpacked {
  const url = any.type_url;
  if (!url.startsWith(TYPE_URL_PREFIX)) return { type: url, value: {} };
  const name = url.slice(TYPE_URL_PREFIX.length);
  let t: protobuf.Type;
  try {
    t = messageType(name);
  } catch {
    return { type: name, value: {} };
  }
  return { type: name, value: t.toObject(t.decode(any.value ?? new Uint8Array()), TO_OBJECT) };
}
