// The namespace: every operation as one serial transaction over the metadata store, acknowledged
// once stored (on disk at once, or at the next sync: metadb.ts). This class only sequences; the logic of each operation is in its own file.

import { randomUUID } from 'node:crypto';
import type { Caller } from '../../common/rpc.js';
import { MetaDb, type Durability, type Tx } from '../store/metadb.js';
import type { KvStore } from '../store/kv.js';
import type { Journal } from '../store/journal.js';
import type { NamespaceSettings, OpContext } from './context.js';
import { formatVersion, keys, prefixEnd, rootInode, parseChunkKey, type ChunkRecord, type ClusterRecord, type InodeRecord } from './records.js';
import { CairnError } from '../../common/errors.js';

export class Namespace {
  readonly db: MetaDb;

  private constructor(
    kv: KvStore,
    readonly settings: NamespaceSettings,
    readonly cluster: ClusterRecord,
    onFatal: (err: unknown) => void,
    durability: Durability,
    journal: Journal | undefined,
  ) {
    this.db = new MetaDb(kv, onFatal, durability, undefined, journal);
  }

  /**
   * Opens a namespace, formatting an empty store (root directory, cluster id). The chunk size is
   * fixed at format time: an existing namespace keeps its own and `chunkSizeBytes` must agree.
   */
  static async open(
    kv: KvStore,
    opts: {
      chunkSizeBytes: number;
      defaultReplication: number;
      nowMs: number;
      onFatal?: (err: unknown) => void;
      durability?: Durability;
      /** Batches journaled ahead of the store (journal.ts), already replayed into `kv`. */
      journal?: Journal;
    },
  ): Promise<Namespace> {
    const raw = await kv.get(keys.cluster);
    let cluster: ClusterRecord;
    if (raw === undefined) {
      cluster = { clusterId: randomUUID(), formatVersion, chunkSizeBytes: opts.chunkSizeBytes, createdMs: opts.nowMs };
      const root: InodeRecord = {
        type: 'd', mode: 0o755, uid: 0, gid: 0, size: 0, nlink: 2,
        atime: opts.nowMs, mtime: opts.nowMs, ctime: opts.nowMs, rep: 0, parent: rootInode,
      };
      await kv.write(
        [
          { type: 'put', key: keys.inode(rootInode), value: JSON.stringify(root) },
          { type: 'put', key: keys.ids, value: JSON.stringify({ inode: rootInode + 1, chunk: 1, gen: 1 }) },
          { type: 'put', key: keys.cluster, value: JSON.stringify(cluster) },
        ],
        true,
      );
    } else {
      cluster = JSON.parse(raw) as ClusterRecord;
      if (cluster.formatVersion !== formatVersion) {
        throw new CairnError('EINVAL', `metadata format ${cluster.formatVersion} is not ${formatVersion}`);
      }
    }
    const settings = { chunkSizeBytes: cluster.chunkSizeBytes, defaultReplication: opts.defaultReplication };
    return new Namespace(kv, settings, cluster, opts.onFatal ?? (() => {}), opts.durability ?? 'on-sync', opts.journal);
  }

  /** Runs one operation as one transaction; on disk before it returns when `sync`. */
  run<T>(caller: Caller, nowMs: number, op: (ctx: OpContext) => Promise<T>, opts: { sync?: boolean; guard?: (dir: number) => void } = {}): Promise<T> {
    const guard = opts.guard !== undefined ? { guard: opts.guard } : {};
    return this.db.transact((tx: Tx) => op({ tx, caller, nowMs, settings: this.settings, dirs: new Map(), ...guard }), opts);
  }

  /** Every chunk record with its file's replication factor (for rebuilding the chunk map at start). */
  async *allChunks(): AsyncGenerator<{ ino: number; index: number; rep: number; chunk: ChunkRecord }> {
    let after: string | undefined;
    let repIno = -1;
    let rep = this.settings.defaultReplication;
    for (;;) {
      const rows = await this.db.range({
        ...(after === undefined ? { gte: keys.allChunksPrefix } : { gt: after }),
        lt: prefixEnd(keys.allChunksPrefix),
        limit: 10_000,
      });
      for (const [key, value] of rows) {
        const { ino, index } = parseChunkKey(key);
        if (ino !== repIno) {
          // Chunk keys sort by inode, so each file's record is read once.
          const raw = await this.db.get(keys.inode(ino));
          rep = raw === undefined ? this.settings.defaultReplication : (JSON.parse(raw) as InodeRecord).rep;
          repIno = ino;
        }
        yield { ino, index, rep, chunk: JSON.parse(value) as ChunkRecord };
      }
      if (rows.length < 10_000) return;
      after = rows[rows.length - 1]?.[0];
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
