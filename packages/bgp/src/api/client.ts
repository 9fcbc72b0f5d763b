import * as grpc from '@grpc/grpc-js';
import { BgpAbortError, GobgpApiError } from '../errors.js';
import { decodeMessage, encodeMessage, gobgpRoot } from './codec.js';
import type { GobgpClientStreamMethods, GobgpMethods, GobgpStreamMethods } from './types.js';

/** Options of {@link createGobgpClient}. */
export interface GobgpClientInit {
  /** gRPC target, e.g. `unix:///run/gobgpd.sock` or `unix:/tmp/x.sock`. */
  target: string;
  /** Default deadline of unary calls in ms (default 10000). */
  timeoutMs?: number;
}

/** Options of one call. */
export interface GobgpCallOptions {
  signal?: AbortSignal;
  /** Deadline of this call in ms (unary calls; default: the client's). */
  timeoutMs?: number;
}

/**
 * A typed client of GoBGP v3's `apipb.GobgpApi` over @grpc/grpc-js. Requests and responses are plain
 * objects with GoBGP's field names; `google.protobuf.Any` fields are `{ type_url, value }` (see
 * `packAny`/`unpackAny`).
 */
export interface GobgpClient {
  readonly target: string;
  /** Call a unary method. @throws GobgpApiError, BgpAbortError */
  call<M extends keyof GobgpMethods>(
    method: M,
    req: GobgpMethods[M]['req'],
    options?: GobgpCallOptions,
  ): Promise<GobgpMethods[M]['res']>;
  /** Call a server-streaming method; the stream ends with the server's, and breaking out cancels it. */
  stream<M extends keyof GobgpStreamMethods>(
    method: M,
    req: GobgpStreamMethods[M]['req'],
    options?: GobgpCallOptions,
  ): AsyncIterable<GobgpStreamMethods[M]['res']>;
  /**
   * Call a server-streaming method and decode each message with `decode` (its wire bytes) instead of
   * the generic decoder; yields batches: every message that arrived since the consumer last asked, in
   * order. While `highWaterMark` decoded messages (default 16384) wait for the consumer, reading stops
   * (gRPC flow control then holds the server back). Breaking out cancels the call.
   * @throws GobgpApiError (a decode error is `INTERNAL`), BgpAbortError
   */
  streamBatches<M extends keyof GobgpStreamMethods, T>(
    method: M,
    req: GobgpStreamMethods[M]['req'],
    decode: (bytes: Buffer) => T,
    options?: GobgpCallOptions & { highWaterMark?: number },
  ): AsyncIterable<T[]>;
  /** Send every request of a client-streaming method and wait for its reply. */
  clientStream<M extends keyof GobgpClientStreamMethods>(
    method: M,
    reqs: AsyncIterable<GobgpClientStreamMethods[M]['req']> | Iterable<GobgpClientStreamMethods[M]['req']>,
    options?: GobgpCallOptions,
  ): Promise<GobgpClientStreamMethods[M]['res']>;
  /** Wait until the channel is ready (the daemon answers). @throws GobgpApiError (UNAVAILABLE) on timeout */
  waitReady(options?: GobgpCallOptions): Promise<void>;
  close(): void;
}

function methodDef(method: string, streamIn: boolean, streamOut: boolean): grpc.MethodDefinition<object, object> {
  const svc = gobgpRoot().lookupService('apipb.GobgpApi');
  const m = svc.methods[method];
  if (!m) throw new TypeError(`GobgpApi has no method ${method} in our proto subset`);
  m.resolve();
  const reqType = m.resolvedRequestType!.fullName.replace(/^\./, '');
  const resType = m.resolvedResponseType!.fullName.replace(/^\./, '');
  return {
    path: `/apipb.GobgpApi/${method}`,
    requestStream: streamIn,
    responseStream: streamOut,
    requestSerialize: (v: object) => Buffer.from(encodeMessage(reqType, v)),
    requestDeserialize: (b: Buffer) => decodeMessage<object>(reqType, b),
    responseSerialize: (v: object) => Buffer.from(encodeMessage(resType, v)),
    responseDeserialize: (b: Buffer) => decodeMessage<object>(resType, b),
  };
}

function toError(method: string, err: unknown): Error {
  const e = err as grpc.ServiceError;
  if (e && typeof e.code === 'number') return new GobgpApiError(method, e.code, e.details ?? e.message, { cause: err });
  return err as Error;
}

/** Create a client of gobgpd's API at `target` (no connection is made until the first call). */
export function createGobgpClient(init: GobgpClientInit): GobgpClient {
  const target = init.target;
  const defaultTimeout = init.timeoutMs ?? 10_000;
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    // keep the channel from piling up back-off while gobgpd restarts
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
  });
  const defs = new Map<string, grpc.MethodDefinition<object, object>>();
  const def = (method: string, si: boolean, so: boolean) => {
    let d = defs.get(method);
    if (!d) {
      d = methodDef(method, si, so);
      defs.set(method, d);
    }
    return d;
  };

  return {
    target,
    call(method, req, options = {}) {
      const d = def(method, false, false);
      const { signal } = options;
      if (signal?.aborted) return Promise.reject(new BgpAbortError(`GobgpApi.${method}`, { cause: signal.reason }));
      return new Promise((resolve, reject) => {
        const deadline = new Date(Date.now() + (options.timeoutMs ?? defaultTimeout));
        const onAbort = () => {
          call.cancel();
        };
        const call = client.makeUnaryRequest(
          d.path,
          d.requestSerialize,
          d.responseDeserialize,
          req,
          { deadline },
          (err, res) => {
            signal?.removeEventListener('abort', onAbort);
            if (err) {
              if (signal?.aborted) reject(new BgpAbortError(`GobgpApi.${method}`, { cause: signal.reason }));
              else reject(toError(method, err));
            } else resolve((res ?? {}) as never);
          },
        );
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    stream(method, req, options = {}) {
      const d = def(method, false, true);
      const { signal } = options;
      return {
        async *[Symbol.asyncIterator]() {
          if (signal?.aborted) throw new BgpAbortError(`GobgpApi.${method}`, { cause: signal.reason });
          const call = client.makeServerStreamRequest(d.path, d.requestSerialize, d.responseDeserialize, req, {});
          const onAbort = () => call.cancel();
          signal?.addEventListener('abort', onAbort, { once: true });
          try {
            for await (const item of call as AsyncIterable<unknown>) yield item as never;
          } catch (err) {
            if (signal?.aborted) throw new BgpAbortError(`GobgpApi.${method}`, { cause: signal.reason });
            throw toError(method, err);
          } finally {
            signal?.removeEventListener('abort', onAbort);
            call.cancel();
          }
        },
      };
    },
    streamBatches(method, req, decode, options = {}) {
      const d = def(method, false, true);
      const { signal } = options;
      const high = Math.max(1, options.highWaterMark ?? 16_384);
      type Item = ReturnType<typeof decode>;
      return {
        async *[Symbol.asyncIterator]() {
          if (signal?.aborted) throw new BgpAbortError(`GobgpApi.${method}`, { cause: signal.reason });
          // bytes as they come: the caller's decoder runs in our 'data' handler, not grpc-js's
          const call = client.makeServerStreamRequest(d.path, d.requestSerialize, (b: Buffer) => b, req, {});
          let batch: Item[] = [];
          let ended = false;
          let failure: unknown;
          let wake: (() => void) | undefined;
          const notify = (): void => {
            const w = wake;
            wake = undefined;
            w?.();
          };
          call.on('data', (bytes: Buffer) => {
            if (failure !== undefined) return;
            try {
              batch.push(decode(bytes));
            } catch (err) {
              failure = new GobgpApiError(
                method,
                grpc.status.INTERNAL,
                `undecodable message: ${(err as Error).message}`,
                {
                  cause: err,
                },
              );
              call.cancel();
            }
            if (batch.length >= high) call.pause();
            notify();
          });
          call.on('error', (err: Error) => {
            failure ??= err;
            ended = true;
            notify();
          });
          call.on('end', () => {
            ended = true;
            notify();
          });
          const onAbort = () => call.cancel();
          signal?.addEventListener('abort', onAbort, { once: true });
          try {
            for (;;) {
              if (batch.length) {
                const out = batch;
                batch = [];
                if (call.isPaused()) call.resume();
                yield out;
                continue;
              }
              if (signal?.aborted) throw new BgpAbortError(`GobgpApi.${method}`, { cause: signal.reason });
              if (failure !== undefined) throw toError(method, failure);
              if (ended) return;
              await new Promise<void>((r) => (wake = r));
            }
          } finally {
            signal?.removeEventListener('abort', onAbort);
            call.cancel();
          }
        },
      };
    },
    clientStream(method, reqs, options = {}) {
      const d = def(method, true, false);
      const { signal } = options;
      return new Promise((resolve, reject) => {
        const call = client.makeClientStreamRequest(
          d.path,
          d.requestSerialize,
          d.responseDeserialize,
          {},
          (err, res) => {
            signal?.removeEventListener('abort', onAbort);
            if (err)
              reject(
                signal?.aborted
                  ? new BgpAbortError(`GobgpApi.${method}`, { cause: signal.reason })
                  : toError(method, err),
              );
            else resolve((res ?? {}) as never);
          },
        );
        const onAbort = () => call.cancel();
        signal?.addEventListener('abort', onAbort, { once: true });
        void (async () => {
          try {
            for await (const r of reqs as AsyncIterable<object>) {
              if (!call.write(r)) await new Promise<void>((res) => call.once('drain', () => res()));
            }
            call.end();
          } catch (err) {
            call.cancel();
            reject(err);
          }
        })();
      });
    },
    waitReady(options = {}) {
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + (options.timeoutMs ?? defaultTimeout);
        client.waitForReady(deadline, (err) => {
          if (err) reject(new GobgpApiError('waitForReady', grpc.status.UNAVAILABLE, err.message, { cause: err }));
          else resolve();
        });
      });
    },
    close() {
      client.close();
    },
  };
}
