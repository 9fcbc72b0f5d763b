/**
 * What a conformance case needs from a client: the three ways of talking to VPP. The real client
 * (`connectVpp()`) fits this shape, and so does the raw test peer.
 */
export interface ConformanceClient {
  /** Request/reply; rejects with an error carrying `retval` when VPP answers a negative one. */
  call(name: string, msg?: Record<string, unknown>): Promise<unknown>;
  /** A `_dump` request streamed until its `control_ping_reply`. */
  dump(name: string, msg?: Record<string, unknown>): AsyncIterable<unknown>;
  /**
   * A `_get` request with cursor, paged until VPP stops answering EAGAIN (-165). Cases that need it
   * fail without it.
   */
  get?(name: string, msg?: Record<string, unknown>): AsyncIterable<unknown>;
  /** A `want_*` subscription. */
  events(name: string, msg?: Record<string, unknown>): ConformanceSubscription;
}

export interface ConformanceSubscription extends AsyncIterable<unknown> {
  readonly ready?: Promise<void>;
  close(): Promise<void>;
}

/** What every case receives. */
export interface ConformanceContext {
  /** A connected client. */
  readonly vpp: ConformanceClient;
  /** A host interface (veth) usable by `af_packet_create_v3`; cases that need one are skipped without it or a maker. */
  readonly hostInterface?: string;
  /**
   * Makes a host interface for one case, in VPP's network namespace, and removes it afterwards. When a case
   * makes its own, it also checks what VPP does with a host interface that does not exist.
   */
  readonly makeHostInterface?: () => Promise<{ readonly name: string; remove(): Promise<void> }>;
}

/** One behaviour of VPP, checked against whatever answers on the socket. */
export interface ConformanceCase {
  readonly name: string;
  /** Context the case cannot run without (it is reported as skipped). */
  readonly requires?: readonly 'hostInterface'[];
  /** Throws a {@link ConformanceError} when VPP (or the fake) behaves differently; cleans up what it made. */
  run(ctx: ConformanceContext): Promise<void>;
}
