// The mount's pure state: the node table (kernel node ids to paths), the attribute cache, the
// FUSE protocol encoders and the reader threads' offered chunks (over real temporary files),
// without a kernel.

import fsp from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { windowChecksums } from '../../common/checksum.js';
import { encodeTrailer } from '../../common/replica-file.js';
import { FastLookups, ReaderNames, type LookupControl } from '../../client/fuse/fast-lookups.js';
import { ReaderFiles } from '../../client/fuse/fast-reads.js';
import { AttrCache } from '../../client/fuse/attr-cache.js';
import { CompleteDirs } from '../../client/fuse/complete-dirs.js';
import { DirListings } from '../../client/fuse/dir-listings.js';
import { NodeTable, rootNodeId } from '../../client/fuse/nodes.js';
import { OpenFiles } from '../../client/fuse/open-files.js';
import { RequestBuffers } from '../../client/fuse/device.js';
import type { Identities } from '../../client/fuse/identities.js';
import { CairnError } from '../../common/errors.js';
import { PageVersions } from '../../client/fuse/page-versions.js';
import { PendingAttrs } from '../../client/fuse/pending-attrs.js';
import * as P from '../../client/fuse/protocol.js';
import type { CairnClient } from '../../client/sdk/client.js';
import { Stats } from '../../client/sdk/stats.js';

const fileAttr = (ino: number, sizeBytes = 10): P.KernelAttr => ({
  ino, sizeBytes, mode: 0o100644, nlink: 1, uid: 0, gid: 0, atimeMs: 1000, mtimeMs: 2000, ctimeMs: 3000,
});

describe('NodeTable', () => {
  it('turns nodes into paths through their parents; renaming a directory moves its subtree', () => {
    const nodes = new NodeTable();
    nodes.remember(rootNodeId, 'a', 2, true);
    nodes.remember(2, 'b', 3, true);
    nodes.remember(3, 'f', 4, false);
    expect(nodes.path(rootNodeId)).toBe('/');
    expect(nodes.path(4)).toBe('/a/b/f');
    expect(nodes.childPath(3, 'new')).toBe('/a/b/new');
    nodes.renamed(rootNodeId, 'a', rootNodeId, 'z');
    expect(nodes.path(4)).toBe('/z/b/f');
    expect(nodes.parentOf(3)).toBe(2);
  });

  it('a hard-linked file keeps a path while one name is left, and has none when all are gone', () => {
    const nodes = new NodeTable();
    nodes.remember(rootNodeId, 'one', 5, false);
    nodes.remember(rootNodeId, 'two', 5, false);
    expect(nodes.path(5)).toBe('/two'); // the name confirmed last comes first
    nodes.removed(rootNodeId, 'two');
    expect(nodes.path(5)).toBe('/one');
    nodes.removed(rootNodeId, 'one');
    expect(nodes.path(5)).toBeUndefined();
  });

  it('a rename over an existing name drops that name from the node it meant', () => {
    const nodes = new NodeTable();
    nodes.remember(rootNodeId, 'src', 6, false);
    nodes.remember(rootNodeId, 'dst', 7, false);
    nodes.renamed(rootNodeId, 'src', rootNodeId, 'dst');
    expect(nodes.path(6)).toBe('/dst');
    expect(nodes.path(7)).toBeUndefined();
    expect(nodes.idsOf(rootNodeId, 'dst')).toEqual([6]);
  });

  it('a name found to lead to another inode (changed by another mount) moves to it', () => {
    const nodes = new NodeTable();
    nodes.remember(rootNodeId, 'x', 8, false);
    nodes.remember(rootNodeId, 'x', 9, false);
    expect(nodes.path(8)).toBeUndefined();
    expect(nodes.path(9)).toBe('/x');
  });

  it('forgets a node after as many forgets as lookups, never the root', () => {
    const nodes = new NodeTable();
    nodes.remember(rootNodeId, 'f', 10, false);
    nodes.remember(rootNodeId, 'f', 10, false);
    nodes.forget(10, 1);
    expect(nodes.has(10)).toBe(true);
    nodes.forget(10, 1);
    expect(nodes.has(10)).toBe(false);
    expect(nodes.idsOf(rootNodeId, 'f')).toEqual([]);
    nodes.forget(rootNodeId, 100);
    expect(nodes.path(rootNodeId)).toBe('/');
    expect(nodes.size).toBe(1);
  });
});

describe('AttrCache', () => {
  it('serves an entry for ttlMs after it was fetched', () => {
    const cache = new AttrCache(1000);
    cache.put(fileAttr(2), 10_000, cache.epoch);
    expect(cache.get(2, 10_999)?.sizeBytes).toBe(10);
    expect(cache.get(2, 11_000)).toBeUndefined();
  });

  it('does not keep an answer fetched before an invalidation (it may predate the change)', () => {
    const cache = new AttrCache(1000);
    const began = cache.epoch;
    cache.invalidate(3);
    cache.put(fileAttr(3, 99), 10_000, began);
    expect(cache.get(3, 10_000)).toBeUndefined();
    cache.put(fileAttr(3, 5), 10_000, cache.epoch);
    expect(cache.get(3, 10_000)?.sizeBytes).toBe(5);
  });

  it('an answer not kept drops the older entry too (the open that fetched it was fresher)', () => {
    const cache = new AttrCache(1000);
    cache.put(fileAttr(4, 1), 10_000, cache.epoch);
    const began = cache.epoch;
    cache.invalidate(5); // another inode's change while the open of 4 was in flight
    cache.put(fileAttr(4, 2), 10_001, began);
    expect(cache.get(4, 10_001)).toBeUndefined();
  });

  it('a write moves mtime and ctime; the cache is bounded', () => {
    const cache = new AttrCache(1000, 2);
    cache.put(fileAttr(1), 0, 0);
    cache.written(1, 500);
    expect(cache.get(1, 600)).toMatchObject({ mtimeMs: 500, ctimeMs: 500, atimeMs: 1000 });
    cache.put(fileAttr(2), 0, 0);
    cache.put(fileAttr(3), 0, 0);
    expect(cache.size).toBe(2);
    expect(cache.get(1, 1)).toBeUndefined();
  });

  it('marks invalidated entries rather than deleting them, and drops the dead ones in a sweep once they are many', () => {
    const cache = new AttrCache(1000);
    cache.put(fileAttr(1, 1), 0, cache.epoch);
    for (let ino = 2; ino < 3000; ino++) {
      cache.put(fileAttr(ino), 0, cache.epoch);
      cache.invalidate(ino);
      expect(cache.get(ino, 0)).toBeUndefined();
    }
    // The sweeps kept the live entry.
    expect(cache.get(1, 0)?.sizeBytes).toBe(1);
    // A hot inode changed and fetched again over and over (a directory in a create storm).
    for (let i = 0; i < 5000; i++) {
      cache.invalidate(1);
      expect(cache.get(1, 10)).toBeUndefined();
      cache.put(fileAttr(1, i), 10, cache.epoch);
    }
    expect(cache.get(1, 10)?.sizeBytes).toBe(4999);
    // 2,998 inodes were invalidated: most went in sweeps, the live one stayed.
    expect(cache.size).toBeLessThan(1100);
    cache.put(fileAttr(5000), 10, cache.epoch);
    expect(cache.get(5000, 10)?.ino).toBe(5000);
    // An answer fetched before an invalidation still drops a live entry (marks it, here).
    const began = cache.epoch;
    cache.invalidate(4242);
    cache.put(fileAttr(5000, 7), 20, began);
    expect(cache.get(5000, 20)).toBeUndefined();
  });
});

describe('ReaderFiles (the reader threads\' offered chunks)', () => {
  it('serves offered chunks byte for byte, keeps at most 128 replica files open, and refuses what was not offered', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-rf-'));
    try {
      const files = new ReaderFiles();
      const chunkSizeBytes = 64 * 1024;
      const count = 150;
      for (let i = 0; i < count; i++) {
        const data = Buffer.alloc(chunkSizeBytes, i);
        const file = path.join(dir, `${i}.rep`);
        await fsp.writeFile(file, Buffer.concat([data, encodeTrailer(windowChecksums(data), data.length)]));
        files.apply({ kind: 'chunk', fh: 7, index: i, chunkSizeBytes, fileSizeBytes: count * chunkSizeBytes, path: file, lengthBytes: chunkSizeBytes });
      }
      const fds = async (): Promise<number> => (await fsp.readdir('/proc/self/fd')).length;
      const before = await fds();
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < count; i++) {
          const out = files.serve(7, i * chunkSizeBytes + 100, 4096);
          expect(out?.subarray(P.outHeaderBytes).equals(Buffer.alloc(4096, i))).toBe(true);
        }
      }
      expect((await fds()) - before).toBeLessThanOrEqual(128);
      expect(files.serve(8, 0, 4096)).toBeUndefined(); // another handle
      // A replica that no longer matches its checksums is handed to the main thread, then not offered.
      const p3 = path.join(dir, '3.rep');
      const rotten = await fsp.readFile(p3);
      rotten.fill(99, 0, chunkSizeBytes);
      await fsp.writeFile(p3, rotten);
      files.apply({ kind: 'drop', fh: 7 });
      expect((await fds()) - before).toBeLessThanOrEqual(0);
      files.apply({ kind: 'chunk', fh: 9, index: 0, chunkSizeBytes, fileSizeBytes: chunkSizeBytes, path: p3, lengthBytes: chunkSizeBytes });
      expect(files.serve(9, 0, 4096)).toBeUndefined();
      expect(files.serve(9, 0, 4096)).toBeUndefined();
      files.apply({ kind: 'drop', fh: 9 });
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('tells when a handle\'s reads move into another chunk, not at every read (the main thread locates the next ones)', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-rf-'));
    try {
      const reached: Array<[number, number]> = [];
      const files = new ReaderFiles(undefined, (fh, index) => reached.push([fh, index]));
      const chunkSizeBytes = 64 * 1024;
      for (let i = 0; i < 3; i++) {
        const data = Buffer.alloc(chunkSizeBytes, i);
        const file = path.join(dir, `${i}.rep`);
        await fsp.writeFile(file, Buffer.concat([data, encodeTrailer(windowChecksums(data), data.length)]));
        files.apply({ kind: 'chunk', fh: 7, index: i, chunkSizeBytes, fileSizeBytes: 3 * chunkSizeBytes, path: file, lengthBytes: chunkSizeBytes });
      }
      // Chunk 0 twice, into 1, back to 0, then a read across the end of 1 into 2.
      for (const at of [0, 4096, chunkSizeBytes + 10, 100, 2 * chunkSizeBytes - 2048]) {
        expect(files.serve(7, at, 4096)).toBeDefined();
      }
      expect(reached).toEqual([[7, 0], [7, 1], [7, 0], [7, 1], [7, 2]]);
      expect(files.serve(7, 2 * chunkSizeBytes + 8192, 4096)).toBeDefined();
      expect(files.serve(7, 100, 4096)).toBeDefined();
      expect(reached).toEqual([[7, 0], [7, 1], [7, 0], [7, 1], [7, 2], [7, 0]]);
      files.apply({ kind: 'drop', fh: 7 });
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('RequestBuffers (the buffers large FUSE requests are read into)', () => {
  it('takes a lent buffer back only when the request and every holder released it, each once', () => {
    const buffers = new RequestBuffers(1024);
    const lent = buffers.take();
    const { retain, release } = buffers.lend(lent);
    const uploadA = retain(); // a write split across two uploads
    const uploadB = retain();
    release();
    release(); // the request's release counts once
    uploadA();
    uploadA(); // so does a holder's
    expect(buffers.take()).not.toBe(lent); // uploadB still holds it
    uploadB();
    expect(buffers.take()).toBe(lent);
    expect(() => retain()).toThrow(/after its release/);
  });
});

describe('PendingAttrs', () => {
  const client = {} as CairnClient;

  it('overlays mode, owner and times, keeping the type bits; a later write drops a pending mtime', () => {
    const pending = new PendingAttrs();
    pending.add(4, client, { mode: 0o600, uid: 7 }, 5000);
    pending.add(4, client, { mtimeMs: 42, atimeMs: 41 }, 6000);
    expect(pending.overlay(fileAttr(4))).toMatchObject({ mode: 0o100600, uid: 7, gid: 0, mtimeMs: 42, atimeMs: 41, ctimeMs: 6000 });
    pending.written(4);
    expect(pending.overlay(fileAttr(4)).mtimeMs).toBe(2000);
    expect(pending.take(4)?.changes).toEqual({ mode: 0o600, uid: 7, atimeMs: 41 });
    expect(pending.take(4)).toBeUndefined();
  });
});

describe('protocol', () => {
  it('parses a request header and encodes a reply header with a negative errno', () => {
    const req = Buffer.alloc(48);
    req.writeUInt32LE(48, 0);
    req.writeUInt32LE(P.op.GETATTR, 4);
    req.writeBigUInt64LE(77n, 8);
    req.writeBigUInt64LE(5n, 16);
    req.writeUInt32LE(1000, 24);
    req.writeUInt32LE(100, 28);
    expect(P.parseRequest(req)).toMatchObject({ opcode: P.op.GETATTR, unique: 77n, nodeid: 5, uid: 1000, gid: 100 });
    const reply = P.encodeReply(77n, 2);
    expect([reply.length, reply.readInt32LE(4), reply.readBigUInt64LE(8)]).toEqual([16, -2, 77n]);
  });

  it('lays out directory entries 8-byte aligned, each pointing at the next, as many as fit', () => {
    const entries = [{ ino: 1, name: '.', type: 4 }, { ino: 9, name: 'file.txt', type: 8 }, { ino: 10, name: 'x', type: 10 }];
    const all = P.direntsOut(entries, 0, 4096);
    expect(all.length).toBe(32 + 32 + 32);
    expect(all.readBigUInt64LE(32 + 8)).toBe(2n); // the second record's offset: resume at entry 2
    expect(all.toString('utf8', 32 + 24, 32 + 24 + 8)).toBe('file.txt');
    expect(P.direntsOut(entries, 1, 40).length).toBe(32); // only one fits
    expect(P.direntsOut(entries, 3, 4096).length).toBe(0);
  });

  it('encodes times as seconds and nanoseconds and a file\'s blocks in 512-byte units', () => {
    const out = P.attrOut({ ...fileAttr(2, 1025), mtimeMs: 1_500 }, 0);
    expect(out.readBigUInt64LE(16 + 16)).toBe(3n); // blocks
    expect(out.readBigUInt64LE(16 + 32)).toBe(1n); // mtime seconds
    expect(out.readUInt32LE(16 + 52)).toBe(500_000_000); // mtime nanoseconds
  });
});

const statsOf = (ino: number, sizeBytes = 1): Stats =>
  new Stats({ inode: ino, type: 'FILE', mode: 0o644, uid: 0, gid: 0, sizeBytes, nlink: 1, atimeMs: 1, mtimeMs: 2, ctimeMs: 3, replication: 3, chunkSizeBytes: 1 << 20, dirVersion: 0, noXattrs: true });

describe('DirListings', () => {
  it('says what changed in a directory since a listing was fetched (READDIRPLUS), and finds a listed inode\'s attributes', () => {
    const l = new DirListings(1000);
    const since = l.begin();
    expect(l.changesSince(1, since)).toEqual({ names: new Set(), inos: new Set() });
    l.put(1, [['a', statsOf(10)], ['b', statsOf(11)]], since, 0);
    expect(l.statsOf(11, 10)?.ino).toBe(11);
    expect(l.statsOf(11, 1000)).toBeUndefined(); // a cache lifetime old
    l.nameChanged(1, 'a');
    l.nameChanged(2, 'x');
    l.inodesChanged([11]);
    expect(l.changesSince(1, since)).toEqual({ names: new Set(['a']), inos: new Set([11]) });
    expect(l.changesSince(2, since)).toEqual({ names: new Set(['x']), inos: new Set([11]) });
    expect(l.statsOf(11, 10)).toBeUndefined(); // dropped with the change
    // Changes that old forgotten: everything counts as changed.
    const later = l.begin();
    for (let i = 0; i < 5_000; i++) l.inodesChanged([100 + i]);
    expect(l.changesSince(1, since)).toBeUndefined();
    expect(l.changesSince(1, later)).toBeUndefined();
    expect(l.changesSince(1, l.begin())).toEqual({ names: new Set(), inos: new Set() });
  });

  it('asks for the next page after a run of ascending misses in one directory, one fetch at a time', () => {
    const l = new DirListings(1000);
    expect(l.missed(1, 'a', 0)).toBe(false);
    expect(l.missed(1, 'b', 1)).toBe(false);
    expect(l.missed(1, 'c', 2)).toBe(true);
    expect(l.missed(1, 'd', 3)).toBe(false); // fetching already
    l.failed(1);
    expect(l.missed(1, 'e', 4)).toBe(true);
    // Out of order, or too far apart: no run.
    const m = new DirListings(1000);
    for (const [name, at] of [['c', 0], ['b', 1], ['a', 2], ['x', 3], ['y', 2000], ['z', 4000]] as const) expect(m.missed(2, name, at)).toBe(false);
  });

  it('answers names a fresh page holds, and nothing else', () => {
    const l = new DirListings(1000);
    l.put(1, [['a', statsOf(10)], ['b', statsOf(11)]], l.begin(), 5000);
    expect(l.get(1, 'a', 5999)?.ino).toBe(10);
    expect(l.get(1, 'missing', 5000)).toBeUndefined(); // never a negative answer
    expect(l.get(2, 'a', 5000)).toBeUndefined();
    expect(l.get(1, 'a', 6000)).toBeUndefined(); // older than the ttl
    l.sweep(6000);
    expect(l.size).toBe(0);
  });

  it('changes through the mount remove the names and inodes they touch, also from a page in flight', () => {
    const l = new DirListings(1000);
    l.put(1, [['a', statsOf(10)], ['b', statsOf(11)], ['c', statsOf(12)]], l.begin(), 0);
    l.nameChanged(1, 'a');
    l.inodesChanged([11]);
    expect([l.get(1, 'a', 1), l.get(1, 'b', 1), l.get(1, 'c', 1)?.ino]).toEqual([undefined, undefined, 12]);
    // A page fetched while a change was made is stored without what the change touched.
    const since = l.begin();
    l.nameChanged(1, 'x');
    l.inodesChanged([13]);
    l.put(1, [['x', statsOf(20)], ['y', statsOf(13)], ['z', statsOf(14)]], since, 10);
    expect([l.get(1, 'x', 11), l.get(1, 'y', 11), l.get(1, 'z', 11)?.ino]).toEqual([undefined, undefined, 14]);
  });

  it('is bounded: a page of a huge directory is not kept, and old directories go first', () => {
    const l = new DirListings(1000, 8);
    const page = (base: number, n: number): Array<[string, Stats]> => Array.from({ length: n }, (_, i) => [`n${i}`, statsOf(base + i)]);
    l.put(1, page(100, 3), l.begin(), 0); // more than a quarter of the budget: not kept
    expect(l.size).toBe(0);
    l.put(1, page(100, 2), l.begin(), 0);
    l.put(2, page(200, 2), l.begin(), 0);
    l.put(3, page(300, 2), l.begin(), 0);
    l.put(4, page(400, 2), l.begin(), 0);
    l.put(5, page(500, 2), l.begin(), 0);
    expect(l.size).toBeLessThanOrEqual(8);
    expect(l.get(1, 'n0', 1)).toBeUndefined();
    expect(l.get(5, 'n0', 1)?.ino).toBe(500);
  });

  it('counts only the pages it keeps, and an inode in two directories stays findable when one page goes', () => {
    const l = new DirListings(1000, 100);
    for (let round = 0; round < 10; round++) l.put(1, [['a', statsOf(10)], ['b', statsOf(11)]], l.begin(), round * 2000); // each older page expired
    expect(l.size).toBe(2);
    for (let i = 0; i < 6; i++) l.put(2, [[`n${i}`, statsOf(100 + i)]], l.begin(), 20_000); // more pages than a directory keeps
    expect(l.size).toBe(2 + 4);
    // A hard link: inode 50 under dir 3 and dir 4; dir 3's page goes, dir 4's entry must still drop on a change.
    l.put(3, [['link', statsOf(50)]], l.begin(), 30_000);
    l.put(4, [['other', statsOf(50)]], l.begin(), 30_500);
    l.sweep(31_200); // dir 3's page is past its ttl, dir 4's is not
    expect(l.get(4, 'other', 31_200)?.ino).toBe(50);
    l.inodesChanged([50]);
    expect(l.get(4, 'other', 31_200)).toBeUndefined();
  });
});

describe('FastLookups and ReaderNames (lookups answered by the reader threads)', () => {
  const posted: LookupControl[] = [];
  const ttlMs = 1000;
  // Inode 4 stands for a file the main thread would adjust (open for writing here): never handed over.
  const entry = (s: Stats): Buffer =>
    P.entryOut({ ino: s.ino, sizeBytes: s.size, mode: s.mode, nlink: s.nlink, uid: s.uid, gid: s.gid, atimeMs: s.atimeMs, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs }, ttlMs, 0);
  let clockMs = 0;
  const lookups = new FastLookups((m) => posted.push(m), ttlMs, (s) => (s.ino === 4 ? undefined : entry(s)), () => clockMs);
  const offer = (dir: number, entries: Array<[string, Stats]>, atMs: number): void => {
    clockMs = atMs;
    lookups.offer(dir, entries);
  };
  const names = new ReaderNames(ttlMs);
  const deliver = (): void => {
    for (const m of posted.splice(0)) names.apply(structuredClone(m));
  };

  it('hands over a page as entry replies, without what the main thread adjusts, and answers from it until the ttl', () => {
    offer(10, [['a', statsOf(2, 100)], ['b', statsOf(3, 200)], ['c', statsOf(4, 300)]], 5000);
    deliver();
    const a = names.answer(10, 'a', 5500);
    expect(a?.looked).toEqual([10, 'a', 2, false]);
    expect(Buffer.from(a?.body ?? []).readBigUInt64LE(0)).toBe(2n); // the entry's node id
    expect(Buffer.from(a?.body ?? []).readBigUInt64LE(40 + 8)).toBe(100n); // its size
    expect(names.answer(10, 'c', 5500)).toBeUndefined();
    expect(names.answer(11, 'a', 5500)).toBeUndefined();
    expect(names.answer(10, 'a', 6000)).toBeUndefined(); // ttl over
  });

  it('withdraws a name or an inode, and posts nothing for what it never handed over', () => {
    offer(10, [['a', statsOf(2, 100)], ['b', statsOf(3, 200)]], 7000);
    offer(20, [['other-name', statsOf(3, 200)]], 7000);
    deliver();
    lookups.nameChanged(10, 'a');
    lookups.nameChanged(99, 'x'); // no page of directory 99 was handed over
    lookups.inodesChanged([3, 77]);
    expect(posted.map((m) => m.kind)).toEqual(['dropName', 'dropIno']);
    deliver();
    expect(names.answer(10, 'a', 7100)).toBeUndefined();
    expect(names.answer(10, 'b', 7100)).toBeUndefined();
    expect(names.answer(20, 'other-name', 7100)).toBeUndefined();
    lookups.inodesChanged([3]); // withdrawn already
    expect(posted).toEqual([]);
  });

  it('forgets what is older than the ttl on both sides', () => {
    offer(30, [['z', statsOf(9, 1)]], 10_000);
    deliver();
    clockMs = 11_000;
    lookups.sweep();
    lookups.nameChanged(30, 'z');
    lookups.inodesChanged([9]);
    expect(posted).toEqual([]); // the reader threads no longer answer from that page anyway
    offer(31, [['y', statsOf(8, 1)]], 12_000); // a later page drops the expired directories
    deliver();
    expect(names.size).toBe(1);
  });
});

describe('PageVersions (when the kernel may keep cached pages at an open)', () => {
  it('keeps pages of an unchanged version, not of another, nor after a writer or a reader of another version', () => {
    const v = new PageVersions();
    expect(v.opened(1, 10, 'a')).toBe(false); // nothing known yet
    v.released(1);
    expect(v.opened(2, 10, 'a')).toBe(true);
    expect(v.opened(3, 10, 'a')).toBe(true); // a second reader of the same version
    v.released(2);
    v.released(3);
    expect(v.opened(4, 10, 'b')).toBe(false); // changed elsewhere
    v.released(4);
    expect(v.opened(5, 10, 'b')).toBe(true);
    expect(v.opened(6, 10, undefined)).toBe(false); // a writer here
    expect(v.opened(7, 10, 'b')).toBe(false); // while the writer is open
    v.released(6);
    v.released(7);
    expect(v.opened(8, 10, 'b')).toBe(false); // the writer's bytes went through the pages
    v.released(5);
    v.released(8);
    expect(v.opened(9, 10, 'b')).toBe(true);
    expect(v.opened(10, 10, 'c')).toBe(false); // a newer version while an older reader is open
    v.released(10);
    expect(v.opened(11, 10, 'c')).toBe(false); // the older reader may still fill pages
    v.released(9);
    v.released(11);
    expect(v.opened(12, 10, 'c')).toBe(false); // it may have: read afresh once
    v.released(12);
    expect(v.opened(13, 10, 'c')).toBe(true);
    v.changed(10); // truncated through the mount
    v.released(13);
    expect(v.opened(14, 10, 'c')).toBe(false);
    expect(v.opened(15, 11, 'x')).toBe(false); // another inode
  });

  it('keeps pages only once an open that dropped them has completed (its handle released)', () => {
    const v = new PageVersions();
    expect(v.opened(1, 20, 'a')).toBe(false);
    // The kernel never took that OPEN reply (timed out, interrupted): no release comes for fh 1.
    expect(v.opened(2, 20, 'a')).toBe(false); // so this one drops the pages again
    expect(v.opened(3, 20, 'a')).toBe(false); // racing it: its drop may not have happened yet
    v.released(3);
    expect(v.opened(4, 20, 'a')).toBe(true);
  });
});

const dirStats = (ino: number, dirVersion: number): Stats =>
  new Stats({ inode: ino, type: 'DIRECTORY', mode: 0o755, uid: 0, gid: 0, sizeBytes: 0, nlink: 2, atimeMs: 1, mtimeMs: 2, ctimeMs: 3, replication: 0, chunkSizeBytes: 0, dirVersion, noXattrs: true });

describe('CompleteDirs', () => {
  it('knows a directory it made to be empty, and follows its own changes while each moves the version by one', () => {
    const c = new CompleteDirs(1000);
    c.made(dirStats(7, 0), 0);
    expect(c.lacks(7, 'a', 10)).toBe(true);
    expect(c.lacks(8, 'a', 10)).toBe(false); // not known: ask the namenode
    c.changed([dirStats(7, 1)], [{ dir: 7, name: 'a', added: true }], 20);
    expect(c.lacks(7, 'a', 30)).toBe(false);
    expect(c.lacks(7, 'b', 30)).toBe(true);
    // A rename within the directory: two edits, one step of the version.
    c.changed([dirStats(7, 2)], [{ dir: 7, name: 'a', added: false }, { dir: 7, name: 'b', added: true }], 40);
    expect([c.lacks(7, 'a', 50), c.lacks(7, 'b', 50)]).toEqual([true, false]);
  });

  it('forgets a directory someone else changed too (the version moved by more than one), or whose change did not say', () => {
    const c = new CompleteDirs(1000);
    c.made(dirStats(7, 0), 0);
    c.changed([dirStats(7, 2)], [{ dir: 7, name: 'a', added: true }], 10);
    expect(c.lacks(7, 'zz', 20)).toBe(false);
    c.made(dirStats(9, 4), 0);
    c.changed([], [{ dir: 9, name: 'a', added: true }], 10);
    expect(c.lacks(9, 'zz', 20)).toBe(false);
    c.made(dirStats(11, 0), 0);
    c.forget(11);
    expect(c.lacks(11, 'zz', 20)).toBe(false);
    expect(c.size).toBe(0);
  });

  it('trusts what it knows for the ttl after the last confirmation only', () => {
    const c = new CompleteDirs(1000);
    c.made(dirStats(7, 0), 0);
    expect(c.lacks(7, 'a', 999)).toBe(true);
    c.changed([dirStats(7, 1)], [{ dir: 7, name: 'x', added: true }], 900);
    expect(c.lacks(7, 'a', 1899)).toBe(true);
    expect(c.lacks(7, 'a', 1900)).toBe(false);
    c.made(dirStats(8, 0), 0);
    c.sweep(10 * 60 * 1000 + 1000);
    expect(c.size).toBe(1); // 7, confirmed at 900, is kept a little longer
    c.sweep(10 * 60 * 1000 + 1900);
    expect(c.size).toBe(0); // not confirmed for ten minutes: dropped
    // No caching at all: nothing is ever known.
    const none = new CompleteDirs(0);
    none.made(dirStats(7, 0), 0);
    expect(none.lacks(7, 'a', 0)).toBe(false);
  });
});

describe('CompleteDirs after a pause', () => {
  it('answers nothing once not confirmed for the ttl, and knows the directory again when a change of ours moves its version by one', () => {
    const c = new CompleteDirs(1000);
    c.made(dirStats(7, 0), 0);
    c.changed([dirStats(7, 1)], [{ dir: 7, name: 'db', added: true }], 10);
    expect(c.lacks(7, 'db-journal', 500)).toBe(true);
    expect(c.lacks(7, 'db-journal', 5000)).toBe(false); // a pause: ask the namenode
    c.sweep(5000);
    // Our next change moved the version by one: nobody else changed it during the pause.
    c.changed([dirStats(7, 2)], [{ dir: 7, name: 'db-journal', added: true }], 60_000);
    expect([c.lacks(7, 'db', 60_010), c.lacks(7, 'db-journal', 60_010), c.lacks(7, 'other', 60_010)]).toEqual([false, false, true]);
    // Someone else changed it during the next pause: our change moves it by two, and it is forgotten.
    c.changed([dirStats(7, 4)], [{ dir: 7, name: 'db-journal', added: false }], 70_000);
    expect(c.lacks(7, 'other', 70_010)).toBe(false);
    expect(c.size).toBe(0);
  });

  it('knows a stale directory again when a lookup finds its version unmoved, and forgets it when the version moved', () => {
    const c = new CompleteDirs(1000);
    c.made(dirStats(7, 0), 0);
    c.changed([dirStats(7, 1)], [{ dir: 7, name: 'a', added: true }], 10);
    c.made(dirStats(8, 0), 0);
    expect([c.stale(7, 500), c.stale(7, 2000), c.stale(9, 2000)]).toEqual([false, true, false]); // 9: not known at all
    c.confirmed(dirStats(7, 1), 2000); // nobody changed it since: its names are exact again
    expect([c.stale(7, 2500), c.lacks(7, '.gitignore', 2500), c.lacks(7, 'a', 2500)]).toEqual([false, true, false]);
    expect(c.lacks(7, '.gitignore', 3000)).toBe(false); // a ttl after that confirmation
    c.confirmed(dirStats(8, 1), 2000); // someone else added a name: forgotten
    expect([c.stale(8, 2000), c.lacks(8, 'x', 2000), c.size]).toEqual([false, false, 1]);
    c.confirmed(dirStats(9, 0), 2000); // never known: nothing to confirm
    expect(c.size).toBe(1);
  });

  it('forgets a directory whose version a later change finds unmoved: the namenode went back (a commit lost with its power)', () => {
    const c = new CompleteDirs(1000);
    c.made(dirStats(7, 0), 0);
    c.changed([dirStats(7, 1)], [{ dir: 7, name: 'n', added: true }], 10);
    c.changed([dirStats(7, 2)], [{ dir: 7, name: 'n', added: false }], 20); // unlinked: lost by the namenode
    // Back at version 1 with n present: our next create answers 2 again, which this mount knows.
    c.changed([dirStats(7, 2)], [{ dir: 7, name: 'x', added: true }], 5000);
    c.changed([dirStats(7, 3)], [{ dir: 7, name: 'y', added: true }], 5010);
    expect(c.lacks(7, 'n', 5020)).toBe(false); // asked of the namenode, which has it
    expect(c.size).toBe(0);
  });

  it('keeps at most 200,000 names in all, dropping the directories confirmed longest ago', () => {
    const c = new CompleteDirs(1000);
    for (let ino = 1; ino <= 3; ino++) {
      c.made(dirStats(ino, 0), 0);
      const edits = Array.from({ length: 90_000 }, (_, i) => ({ dir: ino, name: `f${i}`, added: true }));
      // One change per name, each moving the version by one.
      edits.forEach((edit, i) => c.changed([dirStats(ino, i + 1)], [edit], ino));
    }
    c.sweep(10);
    expect(c.size).toBe(2); // 270,000 names: the first directory goes
    expect([c.lacks(1, 'zz', 20), c.lacks(2, 'zz', 20), c.lacks(3, 'zz', 20)]).toEqual([false, true, true]);
  });

  it('keeps at most 10,000 directories, dropping the ones confirmed longest ago', () => {
    const c = new CompleteDirs(1000);
    for (let ino = 1; ino <= 10_005; ino++) c.made(dirStats(ino, 0), 0);
    c.changed([dirStats(1, 1)], [{ dir: 1, name: 'a', added: true }], 10); // confirmed last
    c.sweep(20);
    expect(c.size).toBe(10_000);
    expect(c.lacks(1, 'b', 30)).toBe(true);
    expect([c.lacks(2, 'b', 30), c.lacks(6, 'b', 30), c.lacks(7, 'b', 30)]).toEqual([false, false, true]);
  });
});

describe('OpenFiles: an unlink right after a close', () => {
  it('does not count a file whose last release is under way as open, nor wait for it; a close that fails there leaves no rejection unhandled', async () => {
    // The SDK side scripted: a writer whose close (the lease's CloseFile) is slow, then fails.
    let failClose: (err: Error) => void = () => undefined;
    const handle = {
      inode: 7,
      stat: async () => statsOf(7, 0),
      close: () => new Promise<void>((_, reject) => (failClose = reject)),
    };
    const client = { open: async () => handle } as unknown as CairnClient;
    const identities = { pin: () => undefined, unpin: () => undefined } as unknown as Identities;
    const files = new OpenFiles(identities, () => '/f');
    const first = await files.open({ client, path: '/f', ino: undefined, flags: fsConstants.O_CREAT | fsConstants.O_WRONLY, mode: 0o644 });
    const second = await files.open({ client, path: '/f', ino: 7, flags: fsConstants.O_RDONLY, mode: 0 });
    const releasing = files.release(first.fh);
    await new Promise((resolve) => setImmediate(resolve));
    // Another descriptor is still open: the unlink must hide the file.
    expect([files.isOpen(7), files.openAfterReleases(7)]).toEqual([true, true]);
    const readerGone = files.release(second.fh);
    // Both releases under way: nothing will stay open, the unlink goes ahead at once.
    expect([files.isOpen(7), files.openAfterReleases(7)]).toEqual([true, false]);
    failClose(new CairnError('EIO', 'lost at close'));
    await expect(releasing).rejects.toThrow('lost at close'); // the kernel's RELEASE gets the error
    await readerGone;
    await new Promise((resolve) => setImmediate(resolve));
    expect([files.isOpen(7), files.openAfterReleases(7)]).toEqual([false, false]);
  });
});
