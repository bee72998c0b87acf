// The namenode's journal: every batch of the metadata store, written on the main thread before
// it is acknowledged, ahead of its LevelDB write.
//
// Why: a LevelDB write goes through libuv's thread pool (a hop to a pool thread and back), and on
// this kind of machine each process or thread wake-up costs ~0.05-0.1 ms; an operation waiting
// for its own write paid that on every create, unlink and commit. A write(2) to the journal takes
// a few microseconds and lands in the same place a non-sync LevelDB write does (the OS page
// cache), so an acknowledged batch survives a SIGKILL of the namenode exactly as before; LevelDB
// catches up in the background (metadb.ts), and sync writes (fsync, the periodic sync) still wait
// for LevelDB's sync write, as before.
//
// The batches appended in one turn of the event loop share one write(2), made before the next
// turn (`written`), and nothing they did is acknowledged before it: with 32 clients creating
// files, ~27 transactions ran in each turn, and a write(2) each was ~10 us of ~100 us of the
// namenode's time per create.
//
// Records: seq u48 BE | length u32 BE | crc32c u32 BE (over seq, length and payload) | payload.
// The payload is 0x01, then for each operation: u8 1 (put) or 2 (delete), the key (u32 BE byte
// length, UTF-8), and for a put the value (the same). Until session 13 it was a JSON array of
// [key, value] puts and [key] deletes (its first byte '['), which is still read: a journal left
// by an older namenode replays. JSON escaped every value twice (values are JSON themselves).
// Sequence numbers run on across files and restarts. Every LevelDB batch of the metadata store
// carries the key `m/journal`: the seq of the last record it holds, so LevelDB's own state says
// how far it got.
//
// Recovery (open): the records after LevelDB's `m/journal`, in order, are written to LevelDB
// (a sync write) and the files removed. Only a contiguous run is replayed: a torn or missing
// record ends it, so the store is always some prefix of the sequence of batches, never a batch
// applied over a later one (which could bring back a deleted inode or an old id counter). After
// a machine crash the journal's tail (never fsynced) may be gone while LevelDB kept later writes:
// then LevelDB's prefix stands, and only batches that nobody asked to sync are lost, as before.
// LevelDB may also hold a batch whose record was never written (the namenode killed between the
// two): LevelDB's prefix stands the same way (such a batch was acknowledged only if LevelDB had
// it: a synced one, which waits for LevelDB's sync write rather than for the journal).
//
// Files: journal-N.log in the metadata directory. When one passes `rotateBytes`, appends move to
// the next file and the old one is removed once a sync write has put its batches on LevelDB's disk.

import { closeSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { writeAllSync } from '../../common/write-all.js';
import type { KvOp, KvStore } from './kv.js';

/** The key each LevelDB batch of the metadata store sets to the seq of its last journal record. */
export const journalSeqKey = 'm/journal';

const headerBytes = 14;
const crcAt = 10;
const fileName = (index: number): string => `journal-${index}.log`;
const filePattern = /^journal-(\d+)\.log$/;

export interface JournalRecovery {
  /** Records written to the store at open. */
  replayed: number;
  /** Records found after a gap or a torn record, not replayed (see the module comment). */
  skipped: number;
}

export class Journal {
  private bytes = 0;
  private closed = false;
  /** Records appended in this turn of the event loop, not written yet. */
  private pending: Buffer[] = [];
  /** Settles once `pending` is written (undefined: nothing pending). */
  private writing: { done: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;
  /** A failed write: every later one fails too (the namenode must stop). */
  private failed: unknown;

  private constructor(
    private readonly dir: string,
    private index: number,
    private fd: number,
    /** The seq the next record gets. */
    private nextSeq: number,
    private readonly rotateBytes: number,
    readonly recovery: JournalRecovery,
  ) {}

  /**
   * Replays what LevelDB lacks (see above), then starts a fresh file. `discard`: the store is
   * empty (its directory was removed): a journal left beside it belongs to the old store.
   */
  static async open(dir: string, kv: KvStore, opts: { rotateBytes?: number; discard?: boolean } = {}): Promise<Journal> {
    const files = listFiles(dir);
    const storedSeq = Number((await kv.get(journalSeqKey)) ?? 0);
    const records = opts.discard === true ? [] : files.flatMap((f) => readRecords(path.join(dir, fileName(f))));
    let expect = storedSeq + 1;
    let lastSeq = storedSeq;
    const replay: KvOp[] = [];
    let replayed = 0;
    let skipped = 0;
    for (const record of records) {
      lastSeq = Math.max(lastSeq, record.seq);
      if (record.seq < expect) continue; // already in LevelDB
      if (record.seq !== expect || skipped > 0) {
        skipped++;
        continue;
      }
      replay.push(...record.ops);
      replayed++;
      expect++;
    }
    if (lastSeq > storedSeq) {
      // LevelDB now stands for every seq seen, skipped ones included: the records appended from
      // here on follow on without a gap, so the next start replays them.
      replay.push({ type: 'put', key: journalSeqKey, value: String(lastSeq) });
      await kv.write(replay, true);
    }
    for (const f of files) rmSync(path.join(dir, fileName(f)), { force: true });
    const index = (files.at(-1) ?? 0) + 1;
    const fd = openSync(path.join(dir, fileName(index)), 'a');
    return new Journal(dir, index, fd, lastSeq + 1, opts.rotateBytes ?? 16 * 1024 * 1024, { replayed, skipped });
  }

  /**
   * Appends one batch; returns its seq. It is written before the next turn of the event loop,
   * with the others of this turn: `written()` says when. Throws if the journal failed or closed.
   */
  append(ops: readonly KvOp[]): number {
    if (this.closed) throw new Error('the journal is closed');
    if (this.failed !== undefined) throw this.failed;
    const seq = this.nextSeq++;
    const record = encodeRecord(seq, ops);
    this.pending.push(record);
    this.bytes += record.length;
    if (this.writing === undefined) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      done.catch(() => undefined); // each caller of written() handles the failure
      this.writing = { done, resolve, reject };
      setImmediate(() => this.writePending());
    }
    return seq;
  }

  /** Resolves once every record appended so far is written (in the page cache); rejects if that failed. */
  written(): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return this.writing?.done ?? Promise.resolve();
  }

  /** One write(2) for the records appended since the last one. */
  private writePending(): void {
    const writing = this.writing;
    if (writing === undefined) return;
    this.writing = undefined;
    const records = this.pending;
    this.pending = [];
    try {
      if (this.closed) throw new Error('the journal closed before its records were written');
      writeAllSync(this.fd, records.length === 1 ? (records[0] as Buffer) : Buffer.concat(records), null); // an append ('a' mode)
      writing.resolve();
    } catch (err) {
      this.failed ??= err;
      writing.reject(err);
    }
  }

  /** Whether the current file has grown past its size and should be rotated. */
  get full(): boolean {
    return this.bytes >= this.rotateBytes;
  }

  /**
   * Starts the next file; returns a function that removes the previous one, to be called once a
   * sync write has put every batch appended so far on LevelDB's disk.
   */
  rotate(): () => void {
    const old = path.join(this.dir, fileName(this.index));
    this.writePending(); // this file's records go in this file
    if (this.failed !== undefined) throw this.failed;
    closeSync(this.fd);
    this.index++;
    this.fd = openSync(path.join(this.dir, fileName(this.index)), 'a');
    this.bytes = 0;
    return () => rmSync(old, { force: true });
  }

  /** Closes the file; with `remove` (LevelDB has everything, synced), removes it. */
  close(remove: boolean): void {
    if (this.closed) return;
    this.writePending();
    this.closed = true;
    closeSync(this.fd);
    if (remove) rmSync(path.join(this.dir, fileName(this.index)), { force: true });
  }
}

function listFiles(dir: string): number[] {
  const indexes: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = filePattern.exec(name);
    if (m !== null) indexes.push(Number(m[1]));
  }
  return indexes.sort((a, b) => a - b);
}

/** The first byte of a binary payload (a JSON one, written before session 13, starts with '['). */
const binaryPayload = 1;
const opPut = 1;
const opDel = 2;

/** One record: header, then the binary payload, in one buffer. */
function encodeRecord(seq: number, ops: readonly KvOp[]): Buffer {
  let length = 1;
  for (const op of ops) length += 5 + Buffer.byteLength(op.key) + (op.type === 'put' ? 4 + Buffer.byteLength(op.value) : 0);
  const record = Buffer.allocUnsafe(headerBytes + length);
  record.writeUIntBE(seq, 0, 6);
  record.writeUInt32BE(length, 6);
  let at = headerBytes;
  record[at++] = binaryPayload;
  const text = (value: string): void => {
    const n = record.write(value, at + 4);
    record.writeUInt32BE(n, at);
    at += 4 + n;
  };
  for (const op of ops) {
    record[at++] = op.type === 'put' ? opPut : opDel;
    text(op.key);
    if (op.type === 'put') text(op.value);
  }
  record.writeUInt32BE(checksum(record), crcAt);
  return record;
}

/** A record's operations; throws if the payload is malformed. */
function decodePayload(payload: Buffer): KvOp[] {
  if (payload[0] !== binaryPayload) return decodeJsonPayload(payload);
  const ops: KvOp[] = [];
  let at = 1;
  const text = (): string => {
    if (at + 4 > payload.length) throw new Error('truncated journal payload');
    const n = payload.readUInt32BE(at);
    const end = at + 4 + n;
    if (end > payload.length) throw new Error('truncated journal payload');
    const value = payload.toString('utf8', at + 4, end);
    at = end;
    return value;
  };
  while (at < payload.length) {
    const kind = payload[at++];
    if (kind === opPut) {
      const key = text();
      ops.push({ type: 'put', key, value: text() });
    } else if (kind === opDel) {
      ops.push({ type: 'del', key: text() });
    } else {
      throw new Error(`unknown journal operation ${String(kind)}`);
    }
  }
  return ops;
}

/** A payload written before session 13: a JSON array of [key, value] puts and [key] deletes. */
function decodeJsonPayload(payload: Buffer): KvOp[] {
  const entries: unknown = JSON.parse(payload.toString('utf8'));
  if (!Array.isArray(entries)) throw new Error('journal payload is not an array');
  return entries.map((e: unknown): KvOp => {
    const [key, value] = e as [string, string | undefined];
    return value === undefined ? { type: 'del', key } : { type: 'put', key, value };
  });
}

function checksum(record: Buffer): number {
  const head = crc32c(record.subarray(0, crcAt));
  return crc32c(record.subarray(headerBytes), head) >>> 0;
}

/** The valid records of one file, up to the first torn or corrupt one. */
function readRecords(file: string): Array<{ seq: number; ops: KvOp[] }> {
  const data = readFileSync(file);
  const out: Array<{ seq: number; ops: KvOp[] }> = [];
  for (let at = 0; at + headerBytes <= data.length; ) {
    const length = data.readUInt32BE(at + 6);
    const end = at + headerBytes + length;
    if (end > data.length) break;
    const record = data.subarray(at, end);
    if (record.readUInt32BE(crcAt) !== checksum(record)) break;
    let ops: KvOp[];
    try {
      ops = decodePayload(record.subarray(headerBytes));
    } catch {
      break;
    }
    out.push({ seq: record.readUIntBE(0, 6), ops });
    at = end;
  }
  return out;
}
