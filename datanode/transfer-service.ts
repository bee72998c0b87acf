// DataTransfer on a datanode: receives chunk writes (writing locally and forwarding down the
// pipeline at the same time) and serves verified chunk reads. Both need a chunk token signed
// by the namenode for exactly that chunk version.

import type * as grpc from '@grpc/grpc-js';
import type { ChunkTokens } from '../common/auth.js';
import { CairnError } from '../common/errors.js';
import { limits } from '../common/limits.js';
import type { Logger } from '../common/log.js';
import { checkSecret, toServiceError } from '../common/rpc.js';
import type { DataTransferPool, ChunkWriteStream } from '../common/transfer.js';
import type { DataTransferHandlers } from '../proto/gen/cairn/DataTransfer.js';
import type { ReadFrame } from '../proto/gen/cairn/ReadFrame.js';
import type { ReadRequest__Output } from '../proto/gen/cairn/ReadRequest.js';
import type { WriteAck } from '../proto/gen/cairn/WriteAck.js';
import type { WriteFrame__Output } from '../proto/gen/cairn/WriteFrame.js';
import type { WriteHeader__Output } from '../proto/gen/cairn/WriteHeader.js';
import { ChecksumError, type ChunkStore, type ChunkWriter, type ReplicaRef } from './chunk-store.js';

export interface TransferContext {
  datanodeId: string;
  store: ChunkStore;
  tokens: ChunkTokens;
  secret: string;
  pool: DataTransferPool;
  log: Logger;
  /** A replica was finalized or removed: tell the namenode (incremental report). */
  onReplicaAdded: (ref: ReplicaRef) => void;
  /** A replica failed its checksums while being served. */
  onCorrupt: (chunkId: number, gen: number) => void;
  active: { transfers: number };
  pipelineDeadlineMs: number;
}

export function dataTransferHandlers(ctx: TransferContext): DataTransferHandlers {
  return {
    WriteChunk: (call, callback) => {
      ctx.active.transfers++;
      receiveChunk(ctx, call).then(
        (ack) => callback(null, ack),
        (err: unknown) => callback(toServiceError(err, ctx.log)),
      ).finally(() => ctx.active.transfers--);
    },
    ReadChunk: (call) => {
      ctx.active.transfers++;
      sendChunk(ctx, call)
        .catch((err: unknown) => call.emit('error', toServiceError(err, ctx.log)))
        .finally(() => ctx.active.transfers--);
    },
  };
}

function validateHeader(header: WriteHeader__Output): void {
  const { offsetBytes, finalLengthBytes, baseLengthBytes } = header;
  if (!Number.isSafeInteger(header.chunkId) || header.chunkId <= 0 || !Number.isSafeInteger(header.gen) || header.gen <= 0) {
    throw new CairnError('EINVAL', 'bad chunk id or generation stamp');
  }
  if (header.baseGen >= header.gen) throw new CairnError('EINVAL', 'base stamp must be older than the new one');
  if (offsetBytes > limits.chunkSizeBytesMax || baseLengthBytes > limits.chunkSizeBytesMax) throw new CairnError('EINVAL', 'offset out of range');
  if (finalLengthBytes < -1 || finalLengthBytes > limits.chunkSizeBytesMax) throw new CairnError('EINVAL', 'final length out of range');
}

async function receiveChunk(ctx: TransferContext, call: grpc.ServerReadableStream<WriteFrame__Output, WriteAck>): Promise<WriteAck> {
  checkSecret(call.metadata, ctx.secret);
  let header: WriteHeader__Output | undefined;
  let writer: ChunkWriter | undefined;
  let downstream: ChunkWriteStream | undefined;
  let downstreamFailed: string[] = [];
  const failDownstream = (err: unknown): void => {
    if (downstream === undefined || header === undefined) return;
    ctx.log.warn({ err: (err as Error).message, chunkId: header.chunkId, next: header.downstream[0]?.id }, 'pipeline: downstream failed, continuing without it');
    downstream.abort();
    downstreamFailed = header.downstream.map((dn) => dn.id);
    downstream = undefined;
  };
  const startMs = Date.now();
  let localWriteMs = 0;
  let forwardWaitMs = 0;
  try {
    for await (const frame of call as AsyncIterable<WriteFrame__Output>) {
      if (header === undefined) {
        if (frame.header == null) throw new CairnError('EINVAL', 'the first frame must be the header');
        header = frame.header;
        validateHeader(header);
        ctx.tokens.verify(header.token, header.chunkId, header.gen, 'w', Date.now());
        writer = await ctx.store.createWriter(header);
        const [next, ...rest] = header.downstream;
        if (next !== undefined) {
          downstream = ctx.pool.openWrite(next.address, { ...header, downstream: rest }, ctx.pipelineDeadlineMs);
        }
        continue;
      }
      if (frame.data === undefined) throw new CairnError('EINVAL', 'a header frame after the first');
      const forwarded = downstream?.write(frame.data).catch(failDownstream);
      const t0 = Date.now();
      await (writer as ChunkWriter).write(frame.data);
      const t1 = Date.now();
      await forwarded;
      localWriteMs += t1 - t0;
      forwardWaitMs += Date.now() - t1;
    }
    const receivedMs = Date.now();
    if (header === undefined || writer === undefined) throw new CairnError('EINVAL', 'empty chunk write');
    const downstreamAck = downstream?.finish();
    const ref = await writer.finish(header.finalLengthBytes);
    const finishedMs = Date.now();
    ctx.onReplicaAdded(ref);
    let ack = { datanodeIds: [] as string[], failed: [] as string[] };
    if (downstreamAck !== undefined) {
      ack = await downstreamAck.then(
        (a) => ({ datanodeIds: a.datanodeIds, failed: a.failed }),
        (err: unknown) => {
          failDownstream(err);
          return { datanodeIds: [], failed: [] };
        },
      );
    }
    ctx.log.debug(
      { chunkId: ref.chunkId, gen: ref.gen, bytes: ref.lengthBytes, receiveMs: receivedMs - startMs, localWriteMs, forwardWaitMs, fsyncMs: finishedMs - receivedMs, downstreamMs: Date.now() - finishedMs },
      'replica written',
    );
    return { datanodeIds: [ctx.datanodeId, ...ack.datanodeIds], failed: [...downstreamFailed, ...ack.failed], lengthBytes: ref.lengthBytes };
  } catch (err) {
    await writer?.abort();
    downstream?.abort();
    throw err;
  }
}

async function sendChunk(ctx: TransferContext, call: grpc.ServerWritableStream<ReadRequest__Output, ReadFrame>): Promise<void> {
  checkSecret(call.metadata, ctx.secret);
  const req = call.request;
  ctx.tokens.verify(req.token, req.chunkId, req.gen, 'r', Date.now());
  if (!Number.isSafeInteger(req.offsetBytes) || !Number.isSafeInteger(req.lengthBytes)) throw new CairnError('EINVAL', 'bad range');
  try {
    for await (const data of ctx.store.read(req.chunkId, req.gen, req.offsetBytes, req.lengthBytes)) {
      if (call.cancelled) return;
      if (!call.write({ data })) await drainOrClose(call);
    }
  } catch (err) {
    if (err instanceof ChecksumError) ctx.onCorrupt(err.chunkId, err.gen);
    throw err;
  }
  call.end();
}

function drainOrClose(call: grpc.ServerWritableStream<ReadRequest__Output, ReadFrame>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('close', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('close', done);
    call.on('cancelled', done);
  });
}
