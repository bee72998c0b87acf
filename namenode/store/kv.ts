// The small key-value interface the namespace is written against, and its one implementation
// over abstract-level (LevelDB on disk through `level`, or memory-level in fast tests). Keys and
// values are strings; keys sort in byte order.
//
// Invariant: write(ops, true) resolves only once the whole batch is durable (LevelDB sync write),
// and a batch is applied all or nothing.

import type { AbstractLevel } from 'abstract-level';

export type KvOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

export interface KeyRange {
  gt?: string;
  gte?: string;
  lt: string;
  limit?: number;
}

export interface KvStore {
  get(key: string): Promise<string | undefined>;
  range(range: KeyRange): Promise<Array<[string, string]>>;
  write(ops: KvOp[], sync: boolean): Promise<void>;
  close(): Promise<void>;
}

type StringLevel = AbstractLevel<string | Buffer | Uint8Array, string, string>;

export class LevelKv implements KvStore {
  private readonly getSync: boolean;

  constructor(private readonly db: StringLevel) {
    this.getSync = (db.supports as { getSync?: boolean }).getSync === true;
  }

  static async open(db: StringLevel): Promise<LevelKv> {
    await db.open();
    return new LevelKv(db);
  }

  /**
   * Synchronous where the store supports it (LevelDB and memory-level do): a read from LevelDB's
   * memtable or block cache takes ~2 us, against ~35 us through libuv's thread pool, and the
   * namespace's transactions run one at a time anyway.
   */
  async get(key: string): Promise<string | undefined> {
    const value = this.getSync ? this.db.getSync(key) : await this.db.get(key);
    return value ?? undefined;
  }

  async range(range: KeyRange): Promise<Array<[string, string]>> {
    // abstract-level encodes a present-but-undefined bound as the key 'undefined', so an absent
    // bound must be left out rather than passed as undefined.
    const { gt, gte, lt, limit } = range;
    return this.db
      .iterator({ ...(gt !== undefined && { gt }), ...(gte !== undefined && { gte }), lt, limit: limit ?? -1 })
      .all();
  }

  /** A chained batch: ~50 us a batch against ~90 us for the array form, which clones every op. */
  async write(ops: KvOp[], sync: boolean): Promise<void> {
    if (ops.length === 0) return;
    const batch = this.db.batch();
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
    await batch.write({ sync } as object);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
