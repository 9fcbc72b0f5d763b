import { chmod, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  cniMessages,
  type AddReply,
  type AddRequest,
  type AddRequestInit,
  type DelReply,
  type DelRequest,
} from './proto.js';
import type { CniLogger } from './types.js';

/** gRPC method paths of Calico's service. */
export const CNI_METHODS = { Add: '/cni.CniDataplane/Add', Del: '/cni.CniDataplane/Del' } as const;

interface Undecodable {
  readonly undecodable: string;
}

function safe<T>(decode: (b: Uint8Array) => T): (b: Buffer) => T | Undecodable {
  return (b) => {
    try {
      return decode(b);
    } catch (e) {
      return { undecodable: (e as Error).message };
    }
  };
}

/** The service definition, with decoders that turn garbage into an in-band error instead of a transport error. */
export const cniServiceDefinition = {
  Add: {
    path: CNI_METHODS.Add,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: AddRequest) => Buffer.from(cniMessages.encodeAddRequest(m)),
    requestDeserialize: safe(cniMessages.decodeAddRequest),
    responseSerialize: (m: AddReply) => Buffer.from(cniMessages.encodeAddReply(m)),
    responseDeserialize: (b: Buffer) => cniMessages.decodeAddReply(b),
    originalName: 'Add',
  },
  Del: {
    path: CNI_METHODS.Del,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: DelRequest) => Buffer.from(cniMessages.encodeDelRequest(m)),
    requestDeserialize: safe(cniMessages.decodeDelRequest),
    responseSerialize: (m: DelReply) => Buffer.from(cniMessages.encodeDelReply(m)),
    responseDeserialize: (b: Buffer) => cniMessages.decodeDelReply(b),
    originalName: 'Del',
  },
} as const;

export interface CniHandlers {
  add(req: AddRequestInit, opts?: { signal?: AbortSignal }): Promise<AddReply>;
  del(req: DelRequest, opts?: { signal?: AbortSignal }): Promise<DelReply>;
}

export interface GrpcListener {
  readonly socketPath: string;
  close(): Promise<void>;
  kill(): void;
}

/** Serves the handlers on a unix socket, mode 0600 (a stale socket file is replaced). */
export async function listenGrpc(
  socketPath: string,
  handlers: CniHandlers,
  init: { maxMessageBytes: number; logger?: CniLogger | undefined },
): Promise<GrpcListener> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': init.maxMessageBytes,
    'grpc.max_send_message_length': init.maxMessageBytes,
  });
  const signalOf = (call: grpc.ServerUnaryCall<unknown, unknown>): AbortSignal => {
    const ac = new AbortController();
    call.on('cancelled', () => ac.abort(new Error('cancelled by the client')));
    return ac.signal;
  };
  server.addService(cniServiceDefinition as unknown as grpc.ServiceDefinition, {
    Add: (call: grpc.ServerUnaryCall<AddRequest | Undecodable, AddReply>, cb: grpc.sendUnaryData<AddReply>) => {
      const req = call.request;
      if ('undecodable' in req) {
        cb(null, {
          successful: false,
          error_message: `InvalidRequestError: AddRequest does not decode: ${req.undecodable}`,
          host_interface_name: '',
          container_mac: '',
        });
        return;
      }
      handlers.add(req, { signal: signalOf(call) }).then(
        (r) => cb(null, r),
        (e: Error) =>
          cb(null, {
            successful: false,
            error_message: `${e.name}: ${e.message}`,
            host_interface_name: '',
            container_mac: '',
          }),
      );
    },
    Del: (call: grpc.ServerUnaryCall<DelRequest | Undecodable, DelReply>, cb: grpc.sendUnaryData<DelReply>) => {
      const req = call.request;
      if ('undecodable' in req) {
        cb(null, {
          successful: false,
          error_message: `InvalidRequestError: DelRequest does not decode: ${req.undecodable}`,
        });
        return;
      }
      handlers.del(req, { signal: signalOf(call) }).then(
        (r) => cb(null, r),
        (e: Error) => cb(null, { successful: false, error_message: `${e.name}: ${e.message}` }),
      );
    },
  });
  await mkdir(dirname(socketPath), { recursive: true });
  await unlink(socketPath).catch(() => undefined);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  await chmod(socketPath, 0o600);
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(t);
          void unlink(socketPath)
            .catch(() => undefined)
            .then(() => resolve());
        });
      }),
    kill: () => server.forceShutdown(),
  };
}

/** A small client of the service (what Calico's CNI plugin does), for the plugin and tests. */
export interface CniClient {
  add(req: Parameters<typeof cniMessages.encodeAddRequest>[0], opts?: { deadlineMs?: number }): Promise<AddReply>;
  del(req: Partial<DelRequest>, opts?: { deadlineMs?: number }): Promise<DelReply>;
  /** Resolves when the channel is connected. */
  ready(deadlineMs: number): Promise<void>;
  close(): void;
}

/** Connects to a CNI server's unix socket. */
export function createCniClient(socketPath: string): CniClient {
  const client = new grpc.Client(`unix:${socketPath}`, grpc.credentials.createInsecure());
  const unary = <Q, R>(
    path: string,
    ser: (m: Q) => Uint8Array,
    de: (b: Uint8Array) => R,
    req: Q,
    deadlineMs: number,
  ): Promise<R> =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        path,
        (m: Q) => Buffer.from(ser(m)),
        (b: Buffer) => de(b),
        req,
        new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        (err, res) => (err || res === undefined ? reject(err ?? new Error('no reply')) : resolve(res)),
      );
    });
  return {
    add: (req, opts = {}) =>
      unary(CNI_METHODS.Add, cniMessages.encodeAddRequest, cniMessages.decodeAddReply, req, opts.deadlineMs ?? 120_000),
    del: (req, opts = {}) =>
      unary(CNI_METHODS.Del, cniMessages.encodeDelRequest, cniMessages.decodeDelReply, req, opts.deadlineMs ?? 120_000),
    ready: (deadlineMs) =>
      new Promise((resolve, reject) =>
        client.waitForReady(Date.now() + deadlineMs, (e) => (e ? reject(e) : resolve())),
      ),
    close: () => client.close(),
  };
}
