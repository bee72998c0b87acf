// The datanode's side of the data-transfer protocol (common/data-protocol.ts): receives chunk
// writes (writing locally and forwarding down the pipeline at the same time) and serves
// verified chunk reads. Every connection must present the cluster secret, and every operation
// a chunk token signed by the namenode for exactly that chunk version.

import net, { type Server, type Socket } from 'node:net';
import type { ChunkTokens } from '../common/auth.js';
import { secretsEqual } from '../common/auth.js';
import { FrameKind, errorFrame, frameHeader, jsonFrame, parseJson, readFrames, writeAll, writeBuffers, type Frame, type LocalReplica } from '../common/data-protocol.js';
import { CairnError } from '../common/errors.js';
import { holders } from '../common/once.js';
import { ReadSlabs } from '../common/read-slabs.js';
import { limits } from '../common/limits.js';
import type { Logger } from '../common/log.js';
import type { DataTransferPool, ChunkWriteStream } from '../common/transfer.js';
import type { WriteAck } from '../proto/gen/cairn/WriteAck.js';
import type { ReadRequest__Output } from '../proto/gen/cairn/ReadRequest.js';
import type { WriteHeader__Output } from '../proto/gen/cairn/WriteHeader.js';
import type { DatanodeAddress__Output } from '../proto/gen/cairn/DatanodeAddress.js';
import { ChecksumError, type ChunkStore, type ChunkWriter, type ReplicaRef } from './chunk-store.js';
import type { SendBuffers } from './send-buffers.js';

export interface TransferContext {
  datanodeId: string;
  store: ChunkStore;
  tokens: ChunkTokens;
  secret: string;
  pool: DataTransferPool;
  log: Logger;
  /** What chunk ranges are read into for sending (send-buffers.ts). */
  sendBuffers: SendBuffers;
  /** A replica was finalized: tell the namenode (incremental report). */
  onReplicaAdded: (ref: ReplicaRef) => void;
  /** A replica failed its checksums while being served. */
  onCorrupt: (chunkId: number, gen: number) => void;
  /** Transfers in progress, and served so far (for heartbeats and the idle collector). */
  active: { transfers: number; served: number };
  pipelineDeadlineMs: number;
}

/** The data-transfer server; `listen` it on the datanode's address. */
export function dataTransferServer(ctx: TransferContext): Server {
  // Chunk bytes are read into reused slabs (common/read-slabs.ts); the server creates its
  // sockets paused so that each is moved to a slab-reading socket before its first read.
  const slabs = new ReadSlabs();
  return net.createServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
    const socket = slabs.adoptAccepted(accepted);
    socket.on('error', () => undefined); // a peer that vanishes ends its transfer, nothing more
    socket.setTimeout(120_000, () => socket.destroy()); // an idle or stalled peer frees its connection
    serve(ctx, socket, slabs).catch(async (err: unknown) => {
      if (!(err instanceof CairnError)) ctx.log.error({ err }, 'internal error in data transfer');
      if (!socket.destroyed) {
        await writeAll(socket, errorFrame(err)).catch(() => undefined);
        socket.end();
      }
    });
  });
}

/** One connection: HELLO, then operations one after another until the client closes it. */
async function serve(ctx: TransferContext, socket: Socket, slabs: ReadSlabs): Promise<void> {
  const frames = readFrames(socket, undefined, undefined, { slabs });
  const hello = await nextFrame(frames, FrameKind.hello, 'hello');
  const { secret } = parseJson<{ secret?: unknown }>(hello, 'hello');
  if (typeof secret !== 'string' || !secretsEqual(secret, ctx.secret)) throw new CairnError('EAUTH', 'missing or wrong cluster secret');
  try {
    for (;;) {
      const next = await frames.next();
      if (next.done === true) return;
      ctx.active.transfers++;
      ctx.active.served++;
      try {
        await serveOne(ctx, socket, next.value, frames);
      } finally {
        ctx.active.transfers--;
      }
    }
  } finally {
    // After a failure: the bytes already read and not yet framed go back to their slabs.
    void frames.return(undefined).catch(() => undefined);
  }
}

async function serveOne(ctx: TransferContext, socket: Socket, first: Frame, frames: AsyncGenerator<Frame>): Promise<void> {
  if (first.kind === FrameKind.writeHeader) {
    const ack = await receiveChunk(ctx, decodeWriteHeader(first), frames);
    await writeAll(socket, jsonFrame(FrameKind.ack, ack));
  } else if (first.kind === FrameKind.readRequest) {
    await sendChunk(ctx, decodeReadRequest(first), socket);
  } else if (first.kind === FrameKind.localRequest) {
    await writeAll(socket, jsonFrame(FrameKind.ack, locateReplica(ctx, decodeReadRequest(first), socket)));
  } else if (first.kind === FrameKind.syncRequest) {
    const replicas = decodeSyncRequest(first);
    await ctx.store.syncReplicas(replicas);
    ctx.log.debug({ replicas: replicas.length }, 'replicas synced');
    await writeAll(socket, jsonFrame(FrameKind.ack, {}));
  } else {
    throw new CairnError('EINVAL', `unexpected frame ${first.kind}`);
  }
}

/**
 * Where a replica's file is, for a reader on this machine (short-circuit reads). Replicas are
 * immutable once written (an update is a new version in a new file), so a reader may keep the
 * file open; it verifies the checksums itself. Refused to peers on other machines.
 */
function locateReplica(ctx: TransferContext, req: ReadRequest__Output, socket: Socket): LocalReplica {
  ctx.tokens.verify(req.token, req.chunkId, req.gen, 'r', Date.now());
  if (!isSameMachine(socket)) throw new CairnError('EPERM', 'short-circuit reads are for clients on this machine');
  const replica = ctx.store.get(req.chunkId, req.gen);
  if (replica === undefined) throw new CairnError('ENOENT', `replica ${req.chunkId}_${req.gen} is not here`);
  return { path: ctx.store.replicaPath(req.chunkId, req.gen), lengthBytes: replica.lengthBytes };
}

/** A peer on loopback, or connecting from this machine's own address. */
function isSameMachine(socket: Socket): boolean {
  const remote = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  return remote.startsWith('127.') || remote === '::1' || remote === (socket.localAddress ?? '').replace(/^::ffff:/, '');
}

async function nextFrame(frames: AsyncGenerator<Frame>, kind: number, what: string): Promise<Frame> {
  const next = await frames.next();
  if (next.done === true || next.value.kind !== kind) throw new CairnError('EINVAL', `expected a ${what} frame`);
  return next.value;
}

const count = (value: unknown, field: string, min = 0): number => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new CairnError('EINVAL', `${field} out of range`);
  return value;
};

function decodeWriteHeader(frame: Frame): WriteHeader__Output {
  const raw = parseJson<Record<string, unknown>>(frame, 'write header');
  const downstream = Array.isArray(raw.downstream) ? raw.downstream : [];
  const header: WriteHeader__Output = {
    chunkId: count(raw.chunkId, 'chunkId', 1),
    gen: count(raw.gen, 'gen', 1),
    baseGen: count(raw.baseGen ?? 0, 'baseGen'),
    baseLengthBytes: count(raw.baseLengthBytes ?? 0, 'baseLengthBytes'),
    offsetBytes: count(raw.offsetBytes ?? 0, 'offsetBytes'),
    finalLengthBytes: count(raw.finalLengthBytes ?? -1, 'finalLengthBytes', -1),
    token: typeof raw.token === 'string' ? raw.token : '',
    baseDurable: raw.baseDurable === true,
    downstream: downstream.map((dn: Record<string, unknown>) => ({ id: String(dn.id ?? ''), address: String(dn.address ?? '') }) as DatanodeAddress__Output),
  };
  if (header.baseGen >= header.gen) throw new CairnError('EINVAL', 'base stamp must be older than the new one');
  const max = limits.chunkSizeBytesMax;
  if (header.offsetBytes > max || header.baseLengthBytes > max || header.finalLengthBytes > max) throw new CairnError('EINVAL', 'offset out of range');
  return header;
}

/** Syncing needs no token: it changes nothing but when bytes already written reach the disk. */
function decodeSyncRequest(frame: Frame): Array<{ chunkId: number; gen: number }> {
  const raw = parseJson<{ replicas?: unknown }>(frame, 'sync request');
  if (!Array.isArray(raw.replicas) || raw.replicas.length > 10_000) throw new CairnError('EINVAL', 'sync request needs a list of replicas');
  return raw.replicas.map((r: Record<string, unknown>) => ({ chunkId: count(r?.chunkId, 'chunkId', 1), gen: count(r?.gen, 'gen', 1) }));
}

function decodeReadRequest(frame: Frame): ReadRequest__Output {
  const raw = parseJson<Record<string, unknown>>(frame, 'read request');
  return {
    chunkId: count(raw.chunkId, 'chunkId', 1),
    gen: count(raw.gen, 'gen', 1),
    offsetBytes: count(raw.offsetBytes ?? 0, 'offsetBytes'),
    lengthBytes: count(raw.lengthBytes ?? 0, 'lengthBytes'),
    token: typeof raw.token === 'string' ? raw.token : '',
  };
}

/** A node below this one in a pipeline, and the stream to it while it has not failed. */
interface Below {
  id: string;
  stream: ChunkWriteStream | undefined;
}

async function receiveChunk(ctx: TransferContext, header: WriteHeader__Output, frames: AsyncGenerator<Frame>): Promise<WriteAck> {
  ctx.tokens.verify(header.token, header.chunkId, header.gen, 'w', Date.now());
  // Primary-copy replication (as Ceph's primary OSD does): the first node of the pipeline forwards
  // to every other node at once, each of which stores its replica only. The end of a write then
  // waits for one level of nodes instead of a chain of them. An update's header goes down before
  // this node sets up its own replica, so the copy of its base runs on every node at once; a new
  // chunk's goes with its first data frame (one write fewer: taking a free file is quick).
  const below: Below[] = header.downstream.map((dn) => {
    const stream = ctx.pool.openWrite(dn.address, { ...header, downstream: [] }, ctx.pipelineDeadlineMs);
    if (header.baseGen > 0) stream.sendHeader();
    return { id: dn.id, stream };
  });
  const downstreamFailed: string[] = [];
  const failDownstream = (entry: Below) => (err: unknown): void => {
    if (entry.stream === undefined) return;
    ctx.log.warn({ err: (err as Error).message, chunkId: header.chunkId, next: entry.id }, 'pipeline: a downstream node failed, continuing without it');
    entry.stream.abort();
    entry.stream = undefined;
    downstreamFailed.push(entry.id);
  };
  /**
   * Sends a frame's bytes down to every node below; once they have left for all of them and
   * `writeLocal` has written them, the frame's slab memory is released (common/read-slabs.ts).
   */
  const forwardAndWrite = async (
    frame: Frame,
    send: (stream: ChunkWriteStream, sent: () => void) => Promise<void>,
    writeLocal: () => Promise<void>,
  ): Promise<void> => {
    const streams = below.filter((entry) => entry.stream !== undefined);
    const [local, ...sent] = holders(streams.length + 1, frame.release);
    const forwarded = Promise.all(streams.map((entry, i) => send(entry.stream as ChunkWriteStream, sent[i] as () => void).catch(failDownstream(entry))));
    try {
      await writeLocal();
    } finally {
      local?.(); // done with the bytes, written or failed
    }
    await forwarded;
  };
  let writer: ChunkWriter | undefined;
  let localWriteMs = 0;
  let ended = false;
  let sync = false;
  try {
    writer = await ctx.store.createWriter(header);
    const startMs = Date.now();
    // frames.next() rather than for-await: leaving a for-await loop would close the socket
    // before the acknowledgement is sent.
    for (let next = await frames.next(); next.done !== true; next = await frames.next()) {
      const frame = next.value;
      if (frame.kind === FrameKind.end) {
        ended = true;
        sync = frame.payload.length > 0 && parseJson<{ sync?: unknown }>(frame, 'end').sync === true;
        break;
      }
      const t0 = Date.now();
      const local = writer;
      // The bytes are forwarded and written as the socket delivered them (frame.pieces): no copy.
      if (frame.kind === FrameKind.data) {
        const data = frame.pieces ?? [frame.payload];
        await forwardAndWrite(frame, (stream, sent) => stream.write(data, sent), () => local.write(data));
      } else if (frame.kind === FrameKind.dataAt && frame.payload.length >= 8) {
        const offset = Number(frame.payload.readBigUInt64BE(0));
        if (offset > limits.chunkSizeBytesMax) {
          frame.release?.();
          throw new CairnError('EINVAL', 'offset out of range');
        }
        const data = frame.pieces ?? [frame.payload.subarray(8)];
        await forwardAndWrite(frame, (stream, sent) => stream.writeAt(offset, data, sent), () => local.writeAt(offset, data));
      } else {
        throw new CairnError('EINVAL', `unexpected frame ${frame.kind} in a chunk write`);
      }
      localWriteMs += Date.now() - t0;
    }
    if (!ended) throw new CairnError('EIO', 'the writer went away before the end of the chunk');
    const receivedMs = Date.now();
    // Each finish returns its ack promise, which already has a handler: awaited after the local finish.
    const acks = below.map((entry) => entry.stream?.finish(sync).catch((err: unknown) => void failDownstream(entry)(err)));
    const ref = await writer.finish(header.finalLengthBytes, sync);
    const finishedMs = Date.now();
    ctx.onReplicaAdded(ref);
    const answers = (await Promise.all(acks)).filter((a) => a !== undefined);
    const belowIds = answers.flatMap((a) => a.datanodeIds);
    const belowFailed = answers.flatMap((a) => a.failed);
    ctx.log.debug(
      { chunkId: ref.chunkId, gen: ref.gen, bytes: ref.lengthBytes, sync, receiveMs: receivedMs - startMs, localWriteMs, finishMs: finishedMs - receivedMs, downstreamMs: Date.now() - finishedMs },
      'replica written',
    );
    return { datanodeIds: [ctx.datanodeId, ...belowIds], failed: [...downstreamFailed, ...belowFailed], lengthBytes: ref.lengthBytes };
  } catch (err) {
    await writer?.abort();
    for (const entry of below) entry.stream?.abort();
    throw err;
  }
}

async function sendChunk(ctx: TransferContext, req: ReadRequest__Output, socket: Socket): Promise<void> {
  const { sendBuffers } = ctx;
  ctx.tokens.verify(req.token, req.chunkId, req.gen, 'r', Date.now());
  try {
    for await (const data of ctx.store.read(req.chunkId, req.gen, req.offsetBytes, req.lengthBytes, false, (bytes) => sendBuffers.take(bytes))) {
      if (socket.destroyed) throw new CairnError('EIO', 'the reader went away');
      await writeBuffers(socket, [frameHeader(FrameKind.data, data.length), data], () => sendBuffers.give(data));
    }
  } catch (err) {
    if (err instanceof ChecksumError) ctx.onCorrupt(err.chunkId, err.gen);
    throw err;
  }
  await writeAll(socket, frameHeader(FrameKind.end, 0));
}

