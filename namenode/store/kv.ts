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
  constructor(private readonly db: StringLevel) {}

  static async open(db: StringLevel): Promise<LevelKv> {
    await db.open();
    return new LevelKv(db);
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.db.get(key);
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

  async write(ops: KvOp[], sync: boolean): Promise<void> {
    if (ops.length === 0) return;
    await this.db.batch(ops, { sync } as object);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
