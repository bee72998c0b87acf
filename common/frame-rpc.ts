// Unary calls of a gRPC service over a plain framed TCP connection: the same methods, the same
// protobuf messages (serialized by the service definition proto-loader built from
// proto/cairn.proto), the same errors, without HTTP/2. grpc-js costs ~0.3 ms of CPU per call on
// each side here, which capped the namenode at ~1,500 small calls/s per client; a metadata
// operation through the mount is one or two calls, so that was the bound on creates and stats
// (docs/PERFORMANCE.md). The namenode serves both; clients learn this port with the gRPC
// `Handshake` call and fall back to gRPC when a namenode does not offer it.
//
// Frames are data-protocol.ts's (kind u8 | length u32 BE | payload):
//   client: HELLO {secret, uid, gid, clientId}                 server: HELLO_OK {} | ERROR {code, message}
//   client: CALL   id u32 | name length u8 | name | request    server: REPLY id u32 | response
//           CALL_AS id u32 | client id length u8 | client id        | FAILED id u32 | {code, message}
//                   | name length u8 | name | request
// Calls on one connection run concurrently and are answered in any order. The secret, uid, gid
// and groups are the connection's; the client id (whose leases a call acts on) is the hello's,
// or the call's own in CALL_AS: the SDK clients of one process that share an identity share one
// connection (namenode-client.ts), as HDFS's IPC client shares one per address and user. Both
// sides send the frames written after the first in one turn of the event loop together
// (TickWrites): a group commit's replies to a shared connection, and the calls they set off,
// wake the other side twice instead of once each.
//
// On Linux the namenode also serves the same frames on a Unix socket with a fresh abstract name
// (`listenLocal`), which `Handshake` hands out; a client on its machine connects there, others
// (and any client the name refuses) over TCP. A send on a loopback TCP socket runs the
// receiver's whole TCP input path in the sender: a round trip between two Node processes here
// measured 76-79 us and ~38 us of CPU a side over TCP, 44-56 us and ~25 us over a Unix socket.
// The random name cannot reach another namenode, or a namenode on another machine.

import { randomUUID } from 'node:crypto';
import net, { type Server, type Socket } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { secretsEqual } from './auth.js';
import { CairnError, isErrorCode } from './errors.js';
import { connectTo, errorFromFrame, parseJson, readFrames, writeAll, jsonFrame, frameHeader, type Frame } from './data-protocol.js';
import { limits } from './limits.js';
import type { Logger } from './log.js';
import { groupsFrom, type Caller, type Identity } from './rpc.js';

const Kind = { hello: 0, helloOk: 1, call: 2, reply: 3, failed: 4, error: 5, callAs: 6 } as const;

/** Longest client id a CALL_AS frame carries (UTF-8 bytes). */
export const callAsClientIdBytesMax = 255;
const helloTimeoutMs = 10_000;

/** A method as the namenode implements it, for both transports. */
export type Method = (req: never, caller: Caller) => Promise<unknown>;

function callerFrom(hello: Record<string, unknown>): Caller {
  const id = (value: unknown): number => (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff ? value : 0);
  return { uid: id(hello.uid), gid: id(hello.gid), groups: groupsFrom(hello.groups), clientId: typeof hello.clientId === 'string' ? hello.clientId : '' };
}

function errorPayload(err: unknown): Buffer {
  const code = err instanceof CairnError ? err.code : 'EIO';
  const detail = err instanceof CairnError ? err.detail : `internal error: ${(err as Error)?.message ?? String(err)}`;
  return Buffer.from(JSON.stringify({ code, message: detail, path: err instanceof CairnError ? err.path : undefined }));
}

function errorFrom(payload: Buffer): CairnError {
  const { code, message, path } = JSON.parse(payload.toString('utf8')) as { code?: unknown; message?: unknown; path?: unknown };
  return new CairnError(isErrorCode(code) ? code : 'EIO', typeof message === 'string' ? message : undefined, typeof path === 'string' ? { path } : {});
}

/**
 * Has `server` listen on a Unix socket under a fresh abstract name, returned as `@name` (as `ss`
 * shows it); undefined where there are no abstract names (not Linux) or the listen failed.
 */
export async function listenLocal(server: Server, log: Logger): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  const name = `cairn-${randomUUID()}`;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(`\0${name}`, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // A failed accept (no descriptors left) is logged; unheard, it would end the namenode.
    server.on('error', (err) => log.warn({ err: err.message }, 'local socket: accept failed'));
    return `@${name}`;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'no local socket: clients on this machine use TCP');
    return undefined;
  }
}

/** A connected socket to the local name `@name`, or undefined if nothing listens there (another machine). */
async function connectLocal(local: string, deadlineMs: number): Promise<Socket | undefined> {
  if (process.platform !== 'linux' || !local.startsWith('@')) return undefined;
  const socket = net.connect({ path: `\0${local.slice(1)}` });
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), Math.min(deadlineMs, 1000));
    const done = (result: Socket | undefined): void => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (result === undefined) socket.destroy();
      resolve(result);
    };
    const onConnect = (): void => done(socket);
    const onError = (): void => done(undefined);
    socket.once('connect', onConnect);
    socket.once('error', onError);
  });
}

/**
 * Serves `methods` (named as in `service`) to clients that present `secret`. `sharedCalls`
 * false: CALL_AS frames are refused, as a server older than them did.
 */
export function frameRpcServer(service: grpc.ServiceDefinition, methods: Record<string, Method>, secret: string, log: Logger, opts: { sharedCalls?: boolean } = {}): Server {
  const sharedCalls = opts.sharedCalls ?? true;
  return net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    serveConnection(socket, service, methods, secret, log, sharedCalls).catch(async (err: unknown) => {
      if (!(err instanceof CairnError)) log.error({ err }, 'internal error in a frame rpc connection');
      if (!socket.destroyed) {
        const payload = errorPayload(err);
        await writeAll(socket, frameHeader(Kind.error, payload.length), payload).catch(() => undefined);
        socket.end();
      }
    });
  });
}

async function serveConnection(socket: Socket, service: grpc.ServiceDefinition, methods: Record<string, Method>, secret: string, log: Logger, sharedCalls: boolean): Promise<void> {
  const frames = readFrames(socket, 2 * limits.rpcMessageBytesMax, limits.rpcMessageBytesMax);
  // A peer that connects and never says who it is does not keep a connection; a client that
  // did may stay idle as long as it likes (a mount idle for hours).
  socket.setTimeout(helloTimeoutMs, () => socket.destroy());
  const first = await frames.next();
  if (first.done === true) return;
  if (first.value.kind !== Kind.hello) throw new CairnError('EINVAL', 'expected a hello frame');
  const hello = parseJson<Record<string, unknown>>(first.value, 'hello');
  if (typeof hello.secret !== 'string' || !secretsEqual(hello.secret, secret)) throw new CairnError('EAUTH', 'missing or wrong cluster secret');
  const caller = callerFrom(hello);
  socket.setTimeout(0);
  await writeAll(socket, jsonFrame(Kind.helloOk, {}));
  const writes = new TickWrites(socket);
  for await (const frame of frames) {
    const { payload } = frame;
    if ((frame.kind !== Kind.call && (frame.kind !== Kind.callAs || !sharedCalls)) || payload.length < 5) throw new CairnError('EINVAL', 'expected a call frame');
    const id = payload.readUInt32BE(0);
    let at = 4;
    let callerOfCall = caller;
    if (frame.kind === Kind.callAs) {
      const idEnd = 5 + payload.readUInt8(4);
      if (idEnd >= payload.length) throw new CairnError('EINVAL', 'malformed call frame');
      callerOfCall = { ...caller, clientId: payload.toString('utf8', 5, idEnd) };
      at = idEnd;
    }
    const nameEnd = at + 1 + payload.readUInt8(at);
    if (nameEnd > payload.length) throw new CairnError('EINVAL', 'malformed call frame');
    const name = payload.toString('latin1', at + 1, nameEnd);
    const answer = (kind: number, body: Buffer): void => {
      if (socket.destroyed) return;
      const head = Buffer.allocUnsafe(4);
      head.writeUInt32BE(id, 0);
      writes.write(Buffer.concat([frameHeader(kind, 4 + body.length), head, body]));
    };
    const definition = service[name];
    const method = methods[name];
    if (definition === undefined || method === undefined) {
      answer(Kind.failed, errorPayload(new CairnError('EINVAL', `no method ${name}`)));
      continue;
    }
    let request: unknown;
    try {
      request = definition.requestDeserialize(payload.subarray(nameEnd));
    } catch {
      answer(Kind.failed, errorPayload(new CairnError('EINVAL', `malformed ${name} request`)));
      continue;
    }
    // Not awaited: calls on one connection run side by side, as gRPC's streams do.
    (method as (req: unknown, caller: Caller) => Promise<unknown>)(request, callerOfCall).then(
      (response) => answer(Kind.reply, definition.responseSerialize(response)),
      (err: unknown) => {
        if (!(err instanceof CairnError)) log.error({ err, method: name }, 'internal error in rpc handler');
        answer(Kind.failed, errorPayload(err));
      },
    );
  }
}

/**
 * Writes to `socket`: the first of a turn of the event loop (its microtasks included) leaves at
 * once, as a lone call or reply always did; those after it in the same turn wait for the turn's
 * end and leave together (cork, uncork on the next tick). A burst (a group commit's replies on a
 * shared connection, the calls they set off) then costs two sends and two wake-ups of the peer
 * rather than one each. Corking every write instead delayed the lone ones: the mount's creates
 * measured 6-14 % slower.
 */
class TickWrites {
  private inTurn = false;
  private corked = false;
  private readonly turnEnded = (): void => {
    this.inTurn = false;
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  };

  constructor(private readonly socket: Socket) {}

  write(data: Buffer, written?: (err?: Error | null) => void): void {
    if (!this.inTurn) {
      this.inTurn = true;
      process.nextTick(this.turnEnded);
    } else if (!this.corked) {
      this.corked = true;
      this.socket.cork();
    }
    this.socket.write(data, written);
  }
}

interface Pending {
  resolve: (payload: Buffer) => void;
  reject: (err: CairnError) => void;
  timer: NodeJS.Timeout;
  /** The client id the call was made as (CALL_AS), if not the connection's. */
  as: string | undefined;
}

/** One client connection; calls are multiplexed on it. */
export class FrameRpcConnection {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: CairnError | undefined;
  private readonly writes: TickWrites;

  private constructor(
    private readonly socket: Socket,
    private readonly service: grpc.ServiceDefinition,
    readonly address: string,
    /** Whether it went over the namenode's local socket rather than TCP. */
    readonly local: boolean,
  ) {
    this.writes = new TickWrites(socket);
  }

  /**
   * Connects (to the namenode's `local` socket when it is on this machine, else to `address`) and
   * presents the identity; rejects with ECONNREFUSED, EAUTH or ETIMEDOUT.
   */
  static async connect(address: string, service: grpc.ServiceDefinition, identity: Identity, deadlineMs: number, local = ''): Promise<FrameRpcConnection> {
    const startMs = Date.now();
    const localSocket = local !== '' ? await connectLocal(local, deadlineMs) : undefined;
    deadlineMs = Math.max(1, deadlineMs - (Date.now() - startMs));
    const socket = localSocket ?? connectTo(address);
    socket.on('error', () => undefined);
    const timer = setTimeout(() => socket.destroy(new CairnError('ETIMEDOUT', `no answer from ${address} in time`)), deadlineMs);
    try {
      socket.write(jsonFrame(Kind.hello, { secret: identity.secret, uid: identity.uid, gid: identity.gid, groups: identity.groups ?? [], clientId: identity.clientId }));
      const frames = readFrames(socket, 2 * limits.rpcMessageBytesMax, limits.rpcMessageBytesMax);
      let first: IteratorResult<Frame>;
      try {
        first = await frames.next();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (err instanceof CairnError) throw err;
        throw new CairnError(code === 'ECONNREFUSED' ? 'ECONNREFUSED' : 'EIO', `cannot reach ${address}: ${(err as Error).message}`);
      }
      if (first.done === true) throw new CairnError('ECONNREFUSED', `${address} closed the connection`);
      if (first.value.kind === Kind.error) throw errorFromFrame(first.value, address);
      if (first.value.kind !== Kind.helloOk) throw new CairnError('EIO', `${address}: unexpected frame ${first.value.kind}`);
      const connection = new FrameRpcConnection(socket, service, address, localSocket !== undefined);
      void connection.readReplies(frames);
      return connection;
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether the connection failed (calls on it fail; make a new one). */
  get broken(): boolean {
    return this.failure !== undefined;
  }

  /**
   * `onWritten`: told once the request is handed to the kernel (not before: a process killed
   * meanwhile never sent it). `as`: the client id to call as (CALL_AS, at most
   * `callAsClientIdBytesMax` bytes; only to a namenode whose handshake offers `sharedCalls`)
   * instead of the hello's.
   */
  call<Res>(name: string, req: unknown, deadlineMs: number, onWritten?: () => void, as?: string): Promise<Res> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const definition = this.service[name];
    if (definition === undefined) return Promise.reject(new CairnError('EINVAL', `no method ${name}`));
    const clientId = as === undefined ? undefined : Buffer.from(as, 'utf8');
    if (clientId !== undefined && clientId.length > callAsClientIdBytesMax) return Promise.reject(new CairnError('EINVAL', `client id longer than ${callAsClientIdBytesMax} bytes`));
    const id = this.nextId;
    this.nextId = (this.nextId % 0xfffffffe) + 1;
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(id, 0);
    // CALL: id | name length | name | request; CALL_AS puts its client id's length and bytes after the id.
    const parts = [head, ...(clientId === undefined ? [] : [Buffer.of(clientId.length), clientId]), Buffer.of(name.length), Buffer.from(name, 'latin1'), definition.requestSerialize(req)];
    const payloadBytes = parts.reduce((sum, part) => sum + part.length, 0);
    const frame = Buffer.concat([frameHeader(clientId === undefined ? Kind.call : Kind.callAs, payloadBytes), ...parts]);
    this.writes.write(frame, onWritten === undefined ? undefined : (err) => void (err === undefined || err === null ? onWritten() : undefined));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CairnError('ETIMEDOUT', `no answer from ${this.address} in time`));
      }, deadlineMs);
      this.pending.set(id, { resolve, reject, timer, as });
    }).then((payload) => definition.responseDeserialize(payload) as Res);
  }

  close(): void {
    this.fail(new CairnError('EIO', 'connection closed'));
  }

  /** Fails the calls in flight made as `as` (a client of a shared connection closing), as `close` fails all. */
  failCalls(as: string): void {
    for (const [id, call] of this.pending) {
      if (call.as !== as) continue;
      this.pending.delete(id);
      clearTimeout(call.timer);
      call.reject(new CairnError('EIO', 'connection closed'));
    }
  }

  private async readReplies(frames: AsyncGenerator<Frame>): Promise<void> {
    try {
      for await (const frame of frames) {
        if (frame.kind === Kind.error) throw errorFromFrame(frame, this.address);
        if ((frame.kind !== Kind.reply && frame.kind !== Kind.failed) || frame.payload.length < 4) {
          throw new CairnError('EIO', `${this.address}: unexpected frame ${frame.kind}`);
        }
        const id = frame.payload.readUInt32BE(0);
        const call = this.pending.get(id);
        if (call === undefined) continue; // timed out already
        this.pending.delete(id);
        clearTimeout(call.timer);
        if (frame.kind === Kind.reply) call.resolve(frame.payload.subarray(4));
        else call.reject(errorFrom(frame.payload.subarray(4)));
      }
      this.fail(new CairnError('ECONNREFUSED', `${this.address} closed the connection`));
    } catch (err) {
      // As gRPC's UNAVAILABLE: the namenode went away (a call in flight may or may not have run).
      this.fail(err instanceof CairnError ? err : new CairnError('ECONNREFUSED', `connection to ${this.address} lost: ${(err as Error).message}`));
    }
  }

  private fail(err: CairnError): void {
    this.failure ??= err;
    this.socket.destroy();
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      clearTimeout(call.timer);
      call.reject(this.failure);
    }
  }
}
