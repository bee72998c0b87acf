// Lookups answered on the fast path (fast-path.ts), from pages of directory listings, by the
// thread that read the request: the main thread by default, or a reader thread (device.ts).
//
// `stat` of every file of a directory, `ls -l`, find, tar c and rm -r are made of LOOKUPs that a
// statahead page (dir-listings.ts) answers in microseconds; the file system's asynchronous
// dispatch would cost more than that. So each page it stores is handed to the fast path too, as
// ready-made FUSE entry replies, and a LOOKUP found there is answered at once.
//
// What the file system must know of such an answer, it learns before the kernel can use it: the
// fast path reports (parent, name, node) before it writes the reply (a reader thread posts it on
// a channel of its own, which the main thread drains before it handles any request, device.ts).
// So the node table's lookup counts stay exact: a FORGET of the node, or a request on it, can
// only come after the reply, hence after the notice.
//
// Invariants, as dir-listings.ts's (the pages are the same, seen by more threads):
// - an entry is served for at most the listings' ttl after it was fetched;
// - before the main thread answers a change made through this mount (a name removed or
//   replaced, attributes changed, a file opened for writing, written or hidden after an unlink),
//   it withdraws what the change touches from the readers, which take in such messages
//   before they look at the next request;
// - an entry whose answer the main thread would adjust (a file open for writing here, held
//   attribute changes, an unlinked open file) is never handed over.

import { SetIndex } from '../../common/set-index.js';
import type { Stats } from '../sdk/stats.js';
import type { ReaderControl } from './fast-reads.js';
import { entryOutBytes } from './protocol.js';

/** Messages from the main thread to the readers (the threads that read /dev/fuse) about names. */
export type LookupControl =
  | {
      kind: 'page';
      dir: number;
      fetchedMs: number;
      names: string[];
      inos: number[];
      directories: boolean[];
      /** The entry replies' payloads, entryOutBytes each, in the order of `names`. */
      bodies: Uint8Array;
    }
  | { kind: 'dropName'; dir: number; name: string }
  | { kind: 'dropIno'; ino: number };

/**
 * Milliseconds on the monotonic clock, which every thread shares (a wall clock stepped back
 * would make pages fresh again in a reader thread after the main thread stopped withdrawing
 * from them).
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

/** What a reader tells the main thread of a lookup it answered. */
export type LookedUp = [parent: number, name: string, ino: number, isDirectory: boolean];

/** The main thread's side: what the readers hold, to withdraw it in time. */
export class FastLookups {
  /** Inodes handed over, and when their page was fetched (no withdrawal needed after the ttl). */
  private readonly inos = new Map<number, number>();
  /** Directories with pages handed over, likewise. */
  private readonly dirs = new Map<number, number>();

  constructor(
    private readonly post: (msg: LookupControl) => void,
    private readonly ttlMs: number,
    /** The entry reply payload the main thread would send for `s`, or undefined when it would adjust it. */
    private readonly entryOf: (s: Stats) => Buffer | undefined,
    private readonly now: () => number = monotonicMs,
  ) {}

  /** A page of `dir` the listings stored (what changed while it was fetched already left out). */
  offer(dir: number, entries: Iterable<[string, Stats]>): void {
    const fetchedMs = this.now();
    const names: string[] = [];
    const inos: number[] = [];
    const directories: boolean[] = [];
    const bodies: Buffer[] = [];
    for (const [name, s] of entries) {
      const body = this.entryOf(s);
      if (body === undefined) continue;
      names.push(name);
      inos.push(s.ino);
      directories.push(s.isDirectory());
      bodies.push(body);
      this.inos.set(s.ino, fetchedMs);
    }
    if (names.length === 0) return;
    this.dirs.set(dir, fetchedMs);
    this.post({ kind: 'page', dir, fetchedMs, names, inos, directories, bodies: Buffer.concat(bodies) });
  }

  nameChanged(dir: number, name: string): void {
    if (this.dirs.has(dir)) this.post({ kind: 'dropName', dir, name });
  }

  inodesChanged(inos: readonly number[]): void {
    for (const ino of inos) {
      if (!this.inos.delete(ino)) continue;
      this.post({ kind: 'dropIno', ino });
    }
  }

  /** Forgets what the readers no longer serve anyway (older than the ttl). */
  sweep(): void {
    const nowMs = this.now();
    for (const map of [this.inos, this.dirs]) {
      for (const [key, fetchedMs] of map) if (nowMs - fetchedMs >= this.ttlMs) map.delete(key);
    }
  }
}

interface HeldPage {
  fetchedMs: number;
  /** name -> index into the page's arrays */
  byName: Map<string, number>;
  /** ino -> its indexes (an inode appears under as many names as it has links here) */
  byIno: Map<number, number[]>;
  names: string[];
  inos: number[];
  directories: boolean[];
  bodies: Uint8Array;
}

/** Pages a reader keeps per directory, and entries in all. */
const pagesPerDirMax = 4;
const entriesMax = 50_000;

/** A reader's side: the pages it holds, and answering lookups from them. */
export class ReaderNames {
  /** dir -> its pages, newest first; Map order is age order of the directories. */
  private readonly pages = new Map<number, HeldPage[]>();
  /** ino -> the directories whose pages hold it. */
  private readonly dirsOf = new SetIndex<number, number>();
  private entryCount = 0;

  constructor(private readonly ttlMs: number) {}

  apply(msg: LookupControl): void {
    if (msg.kind === 'page') {
      // Directories whose newest page is too old to answer from, oldest first (the thread has no timers).
      for (const [dir, pages] of this.pages) {
        if (msg.fetchedMs - (pages[0]?.fetchedMs ?? 0) < this.ttlMs) break;
        this.dropDir(dir);
      }
      const page: HeldPage = { fetchedMs: msg.fetchedMs, byName: new Map(), byIno: new Map(), names: msg.names, inos: msg.inos, directories: msg.directories, bodies: msg.bodies };
      msg.names.forEach((name, i) => page.byName.set(name, i));
      msg.inos.forEach((ino, i) => {
        const indexes = page.byIno.get(ino);
        if (indexes === undefined) page.byIno.set(ino, [i]);
        else indexes.push(i);
        this.dirsOf.add(ino, msg.dir);
      });
      const previous = this.pages.get(msg.dir) ?? [];
      const kept = [page, ...previous].slice(0, pagesPerDirMax);
      for (const dropped of previous.slice(pagesPerDirMax - 1)) this.entryCount -= dropped.byName.size;
      this.entryCount += page.byName.size;
      this.pages.delete(msg.dir);
      this.pages.set(msg.dir, kept);
      while (this.entryCount > entriesMax && this.pages.size > 1) this.dropDir(this.pages.keys().next().value as number);
    } else if (msg.kind === 'dropName') {
      for (const page of this.pages.get(msg.dir) ?? []) if (page.byName.delete(msg.name)) this.entryCount--;
    } else {
      for (const dir of this.dirsOf.get(msg.ino)) {
        for (const page of this.pages.get(dir) ?? []) {
          for (const i of page.byIno.get(msg.ino) ?? []) {
            const name = page.names[i] as string;
            if (page.byName.get(name) === i && page.byName.delete(name)) this.entryCount--;
          }
        }
      }
      this.dirsOf.delete(msg.ino);
    }
  }

  /** The entry reply payload for `dir`/`name` from a fresh page, with what the main thread must be told; undefined if none has it. */
  answer(dir: number, name: string, nowMs: number): { body: Uint8Array; looked: LookedUp } | undefined {
    const pages = this.pages.get(dir);
    if (pages === undefined) return undefined;
    for (const page of pages) {
      if (nowMs - page.fetchedMs >= this.ttlMs) continue;
      const i = page.byName.get(name);
      if (i === undefined) continue;
      return {
        body: page.bodies.subarray(i * entryOutBytes, (i + 1) * entryOutBytes),
        looked: [dir, name, page.inos[i] as number, page.directories[i] as boolean],
      };
    }
    if (pages.every((p) => nowMs - p.fetchedMs >= this.ttlMs)) this.dropDir(dir);
    return undefined;
  }

  get size(): number {
    return this.entryCount;
  }

  private dropDir(dir: number): void {
    for (const page of this.pages.get(dir) ?? []) {
      this.entryCount -= page.byName.size;
      for (const ino of page.byIno.keys()) {
        this.dirsOf.remove(ino, dir);
      }
    }
    this.pages.delete(dir);
  }
}

/** Everything the main thread sends the readers. */
export type ReaderMessage = ReaderControl | LookupControl;
