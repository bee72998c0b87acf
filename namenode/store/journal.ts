// The namenode's journal: every batch of the metadata store, appended with one write(2) on the
// main thread before it is acknowledged, ahead of its LevelDB write.
//
// Why: a LevelDB write goes through libuv's thread pool (a hop to a pool thread and back), and on
// this kind of machine each process or thread wake-up costs ~0.05-0.1 ms; an operation waiting
// for its own write paid that on every create, unlink and commit. A write(2) to the journal takes
// a few microseconds and lands in the same place a non-sync LevelDB write does (the OS page
// cache), so an acknowledged batch survives a SIGKILL of the namenode exactly as before; LevelDB
// catches up in the background (metadb.ts), and sync writes (fsync, the periodic sync) still wait
// for LevelDB's sync write, as before.
//
// Records: seq u48 BE | length u32 BE | crc32c u32 BE (over seq, length and payload) | payload,
// the payload a JSON array of [key, value] puts and [key] deletes. Sequence numbers run on across
// files and restarts. Every LevelDB batch of the metadata store carries the key `m/journal`: the
// seq of the last record it holds, so LevelDB's own state says how far it got.
//
// Recovery (open): the records after LevelDB's `m/journal`, in order, are written to LevelDB
// (a sync write) and the files removed. Only a contiguous run is replayed: a torn or missing
// record ends it, so the store is always some prefix of the sequence of batches, never a batch
// applied over a later one (which could bring back a deleted inode or an old id counter). After
// a machine crash the journal's tail (never fsynced) may be gone while LevelDB kept later writes:
// then LevelDB's prefix stands, and only batches that nobody asked to sync are lost, as before.
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

  /** Appends one batch; returns its seq. Throws if the write fails (the namenode must stop). */
  append(ops: readonly KvOp[]): number {
    if (this.closed) throw new Error('the journal is closed');
    const seq = this.nextSeq++;
    const payload = Buffer.from(JSON.stringify(ops.map((op) => (op.type === 'put' ? [op.key, op.value] : [op.key]))));
    const record = Buffer.allocUnsafe(headerBytes + payload.length);
    record.writeUIntBE(seq, 0, 6);
    record.writeUInt32BE(payload.length, 6);
    payload.copy(record, headerBytes);
    record.writeUInt32BE(checksum(record), crcAt);
    writeAllSync(this.fd, record, null); // an append (the file is open in 'a' mode)
    this.bytes += record.length;
    return seq;
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
    closeSync(this.fd);
    this.index++;
    this.fd = openSync(path.join(this.dir, fileName(this.index)), 'a');
    this.bytes = 0;
    return () => rmSync(old, { force: true });
  }

  /** Closes the file; with `remove` (LevelDB has everything, synced), removes it. */
  close(remove: boolean): void {
    if (this.closed) return;
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
    let entries: unknown;
    try {
      entries = JSON.parse(record.subarray(headerBytes).toString('utf8'));
    } catch {
      break;
    }
    if (!Array.isArray(entries)) break;
    const ops = entries.map((e: unknown): KvOp => {
      const [key, value] = e as [string, string | undefined];
      return value === undefined ? { type: 'del', key } : { type: 'put', key, value };
    });
    out.push({ seq: record.readUIntBE(0, 6), ops });
    at = end;
  }
  return out;
}
