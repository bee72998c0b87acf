// The datanode's side of DatanodeNamenode: register (retrying until the namenode answers),
// send a full chunk report, heartbeat every heartbeatMs, report replicas as they come and go,
// and carry out the commands heartbeat replies bring. A namenode that restarted answers
// "reregister", and the loop starts over, so the namenode rebuilds its chunk map from us.

import { statfs } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { CairnError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { cairnProto, callUnary, channelOptions, type Identity } from '../common/rpc.js';
import type { DatanodeNamenodeClient } from '../proto/gen/cairn/DatanodeNamenode.js';
import type { ChunkRef__Output as ChunkRef } from '../proto/gen/cairn/ChunkRef.js';
import type { HeartbeatReply__Output } from '../proto/gen/cairn/HeartbeatReply.js';
import type { ReplicateCommand__Output } from '../proto/gen/cairn/ReplicateCommand.js';
import type { ChunkStore, ReplicaRef } from './chunk-store.js';

const incrementalBatchMs = 100;

const sameReplica = (a: { chunkId: number; gen: number }, b: { chunkId: number; gen: number }): boolean =>
  a.chunkId === b.chunkId && a.gen === b.gen;

export interface LinkOptions {
  namenode: string;
  identity: Identity;
  datanodeId: string;
  address: () => string;
  clusterId: string | undefined;
  onClusterId: (clusterId: string) => Promise<void>;
  heartbeatMs: number;
  store: ChunkStore;
  active: { transfers: number };
  log: Logger;
  onReplicate: (order: ReplicateCommand__Output) => void;
}

const rpcDeadlineMs = 10_000;

export class NamenodeLink {
  private readonly client: DatanodeNamenodeClient;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private registered = false;
  private heartbeatMs: number;
  private fullReportMs = 60_000;
  private lastFullReportMs = 0;
  private added: ChunkRef[] = [];
  private removed: ChunkRef[] = [];
  private corrupt: ChunkRef[] = [];
  private reporting: Promise<void> | undefined;
  private warnedUnreachable = false;

  constructor(private readonly o: LinkOptions) {
    const Ctor = cairnProto().cairn.DatanodeNamenode;
    this.client = new Ctor(o.namenode, grpc.credentials.createInsecure(), channelOptions);
    this.heartbeatMs = o.heartbeatMs;
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.client.close();
  }

  // A batch carries the net change: a replica deleted and then copied here again within one
  // batch is reported added only (and the other way round), never both in one report.

  replicaAdded(ref: ReplicaRef): void {
    this.removed = this.removed.filter((r) => !sameReplica(r, ref));
    this.added.push(ref);
    this.flushIncremental();
  }

  replicaRemoved(ref: { chunkId: number; gen: number }): void {
    this.added = this.added.filter((r) => !sameReplica(r, ref));
    this.removed.push({ ...ref, lengthBytes: 0 });
    this.flushIncremental();
  }

  /** A replica failed its checksums and was deleted here: the namenode replaces it. */
  replicaCorrupt(ref: { chunkId: number; gen: number }): void {
    this.added = this.added.filter((r) => !sameReplica(r, ref));
    this.corrupt.push({ ...ref, lengthBytes: 0 });
    this.flushIncremental();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.beat().finally(() => this.schedule(this.heartbeatMs));
    }, delayMs);
  }

  private async call<Req, Res>(method: (...args: never[]) => unknown, req: Req): Promise<Res> {
    return callUnary<Req, Res>(this.client, method as never, req, this.o.identity, rpcDeadlineMs);
  }

  private async beat(): Promise<void> {
    try {
      if (!this.registered) await this.register();
      const stats = await this.stats();
      const reply = await this.call<object, HeartbeatReply__Output>(this.client.Heartbeat, {
        datanodeId: this.o.datanodeId,
        ...stats,
        activeTransfers: this.o.active.transfers,
        chunks: this.o.store.count,
      });
      this.warnedUnreachable = false;
      if (reply.reregister) {
        this.o.log.info('namenode asks to register again');
        this.registered = false;
        return;
      }
      for (const command of reply.commands) {
        await this.deleteReplicas(command.delete);
        for (const order of command.replicate) this.o.onReplicate(order);
      }
      if (Date.now() - this.lastFullReportMs >= this.fullReportMs) await this.fullReport();
    } catch (err) {
      this.registered = false;
      if (!this.warnedUnreachable) {
        this.o.log.warn({ err: (err as Error).message, namenode: this.o.namenode }, 'namenode unreachable; retrying');
        this.warnedUnreachable = true;
      }
    }
  }

  private async register(): Promise<void> {
    const stats = await this.stats();
    const reply = await this.call<object, { clusterId: string; heartbeatMs: number; fullReportMs: number }>(this.client.Register, {
      datanodeId: this.o.datanodeId,
      address: this.o.address(),
      clusterId: this.o.clusterId ?? '',
      ...stats,
    });
    if (this.o.clusterId === undefined) {
      await this.o.onClusterId(reply.clusterId);
      this.o.clusterId = reply.clusterId;
    } else if (this.o.clusterId !== reply.clusterId) {
      throw new CairnError('EINVAL', `namenode is cluster ${reply.clusterId}, this datanode belongs to ${this.o.clusterId}`);
    }
    this.heartbeatMs = reply.heartbeatMs || this.heartbeatMs;
    this.fullReportMs = reply.fullReportMs || this.fullReportMs;
    this.registered = true;
    this.o.log.info({ namenode: this.o.namenode, clusterId: reply.clusterId }, 'registered with namenode');
    await this.fullReport();
  }

  private async fullReport(): Promise<void> {
    // Incremental changes before this point are covered by the full list.
    this.added = [];
    this.removed = [];
    const corrupt = this.corrupt;
    this.corrupt = [];
    await this.call(this.client.ChunkReport, { datanodeId: this.o.datanodeId, full: true, added: this.o.store.list(), removed: [], corrupt });
    this.lastFullReportMs = Date.now();
  }

  /**
   * Sends what changed, gathered for `incrementalBatchMs` first: a burst of small files would
   * otherwise cost the namenode one report call per replica (HDFS batches its incremental
   * block reports too). The namenode already knows a written replica from the client's commit;
   * the report matters for copies and deletions, which can wait that long.
   */
  private flushIncremental(): void {
    if (this.reporting !== undefined || !this.registered) return;
    this.reporting = (async () => {
      while (this.added.length > 0 || this.removed.length > 0 || this.corrupt.length > 0) {
        await new Promise((resolve) => setTimeout(resolve, incrementalBatchMs));
        if (this.stopped) return;
        const added = this.added;
        const removed = this.removed;
        const corrupt = this.corrupt;
        this.added = [];
        this.removed = [];
        this.corrupt = [];
        try {
          await this.call(this.client.ChunkReport, { datanodeId: this.o.datanodeId, full: false, added, removed, corrupt });
        } catch (err) {
          // The next registration's full report carries the truth.
          this.o.log.warn({ err: (err as Error).message }, 'incremental chunk report failed');
          this.registered = false;
          return;
        }
      }
    })().finally(() => {
      this.reporting = undefined;
    });
  }

  private async deleteReplicas(refs: readonly ChunkRef[]): Promise<void> {
    for (const ref of refs) {
      if (await this.o.store.delete(ref.chunkId, ref.gen)) this.o.log.debug({ chunkId: ref.chunkId, gen: ref.gen }, 'replica deleted');
      this.replicaRemoved(ref); // confirmed even when it was not here: the namenode waits for it
    }
  }

  private async stats(): Promise<{ capacityBytes: number; usedBytes: number; availableBytes: number }> {
    const fsStats = await statfs(this.o.store.dataDir);
    return {
      capacityBytes: fsStats.blocks * fsStats.bsize,
      usedBytes: this.o.store.used,
      availableBytes: fsStats.bavail * fsStats.bsize,
    };
  }
}
