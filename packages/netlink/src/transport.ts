import type { NlMessage } from './codec/nlmsg.js';

/** Options every async public call takes. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** Result of one message in a batch: `ok`, or the kernel's refusal for that item. */
export type BatchItemResult =
  | { readonly ok: true; readonly index: number; readonly replies: readonly NlMessage[] }
  | { readonly ok: false; readonly index: number; readonly error: Error };

/**
 * What a family module (links, addresses, routes, neighbours, rules, nexthops) needs from an open
 * rtnetlink handle. `NetlinkHandle` (src/handle.ts) implements it; family modules never see sockets.
 */
export interface RtnlTransport {
  /**
   * Sends one request (built without seq; the transport assigns it and sets NLM_F_REQUEST|NLM_F_ACK),
   * resolves with the messages the kernel sent before the ACK (e.g. NLM_F_ECHO replies, or the single
   * reply of a GET).
   * @throws NetlinkError carrying errno, code ('EEXIST') and the extended-ack text.
   */
  request(msg: Uint8Array, opts?: CallOptions): Promise<NlMessage[]>;
  /**
   * Sends a dump request (the transport sets NLM_F_REQUEST|NLM_F_DUMP) and yields each reply until
   * NLMSG_DONE; restarts from scratch (up to a bound) when the kernel flags NLM_F_DUMP_INTR. `NetlinkHandle`
   * collects the whole answer before yielding the first reply (so a retried dump is never seen torn).
   */
  dump(msg: Uint8Array, opts?: CallOptions): AsyncIterable<NlMessage>;
  /**
   * Sends many requests in as few sendmsg calls as fit the socket buffer, each with its own seq and ACK,
   * and reports every item; never throws for a kernel refusal of one item.
   */
  batch(msgs: readonly Uint8Array[], opts?: CallOptions): Promise<BatchItemResult[]>;
  /** Interface index for a name in this handle's namespace. @throws LinkNotFoundError */
  linkIndex(name: string, opts?: CallOptions): Promise<number>;
}
