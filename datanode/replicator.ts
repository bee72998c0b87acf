// Carries out the namenode's copy orders: reads a local replica (every window verified) and
// streams it to the target datanodes as a pipeline write, with the write token the namenode
// signed. A source replica that fails its checksums is reported corrupt instead of copied.

import type { Logger } from '../common/log.js';
import type { DataTransferPool } from '../common/transfer.js';
import type { ReplicateCommand__Output } from '../proto/gen/cairn/ReplicateCommand.js';
import { ChecksumError, type ChunkStore } from './chunk-store.js';
import type { SendBuffers } from './send-buffers.js';

const copyDeadlineMs = 10 * 60 * 1000;

export class Replicator {
  private readonly queue: ReplicateCommand__Output[] = [];
  private running = 0;
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly store: ChunkStore,
    private readonly pool: DataTransferPool,
    private readonly onCorrupt: (chunkId: number, gen: number) => void,
    private readonly log: Logger,
    private readonly active: { transfers: number },
    private readonly sendBuffers: SendBuffers,
    private readonly concurrency = 4,
  ) {}

  submit(order: ReplicateCommand__Output): void {
    const key = `${order.chunkId}_${order.gen}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    this.queue.push(order);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const order = this.queue.shift() as ReplicateCommand__Output;
      this.running++;
      this.active.transfers++;
      this.copy(order).finally(() => {
        this.running--;
        this.active.transfers--;
        this.inFlight.delete(`${order.chunkId}_${order.gen}`);
        this.pump();
      });
    }
  }

  private async copy(order: ReplicateCommand__Output): Promise<void> {
    const [first, ...rest] = order.targets;
    if (first === undefined || !this.store.has(order.chunkId, order.gen)) return;
    const startMs = Date.now();
    const stream = this.pool.openWrite(
      first.address,
      { chunkId: order.chunkId, gen: order.gen, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0, finalLengthBytes: -1, token: order.token, downstream: rest },
      copyDeadlineMs,
    );
    try {
      const buffers = this.sendBuffers;
      for await (const data of this.store.read(order.chunkId, order.gen, 0, Number.MAX_SAFE_INTEGER, false, (bytes) => buffers.take(bytes))) {
        await stream.write(data, () => buffers.give(data));
      }
      // Synced: the copy replaces a replica that was on a disk.
      const ack = await stream.finish(true);
      this.log.debug({ chunkId: order.chunkId, gen: order.gen, to: ack.datanodeIds, ms: Date.now() - startMs }, 'replica copied');
    } catch (err) {
      stream.abort();
      if (err instanceof ChecksumError) {
        this.onCorrupt(err.chunkId, err.gen);
        return;
      }
      this.log.warn({ chunkId: order.chunkId, to: first.address, err: (err as Error).message }, 'replica copy failed (the namenode will order it again)');
    }
  }
}
