// Namespace semantics over memory-level: each operation of namenode/namespace run as the namenode
// runs it (one transaction through Namespace.run), with an injected clock, fake leases and a
// fake chunk placement. No server, no datanode.

import { MemoryLevel } from 'memory-level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CairnError, type ErrorCode } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import type { Caller } from '../../common/rpc.js';
import { LevelKv } from '../../namenode/store/kv.js';
import type { Attr } from '../../namenode/namespace/attr.js';
import {
  commitChunk,
  getChunks,
  prepareChunk,
  truncate,
  type ChunkPlacement,
  type Pipeline,
  type PreparedChunk,
} from '../../namenode/namespace/chunks.js';
import type { FreedChunk, OpContext } from '../../namenode/namespace/context.js';
import { fsck } from '../../namenode/namespace/fsck.js';
import { mkdir } from '../../namenode/namespace/mkdir.js';
import { Namespace } from '../../namenode/namespace/namespace.js';
import { open, type OpenFlags } from '../../namenode/namespace/open.js';
import { readdir, stat } from '../../namenode/namespace/readdir.js';
import { rename } from '../../namenode/namespace/rename.js';
import { rmdir, unlink } from '../../namenode/namespace/remove.js';
import { setAttr, setReplication } from '../../namenode/namespace/setattr.js';
import { readlink, symlink } from '../../namenode/namespace/symlink.js';
import { rejectsWith } from '../helpers/assertions.js';

const root: Caller = { uid: 0, gid: 0, clientId: 'root-client' };
const alice: Caller = { uid: 1000, gid: 1000, clientId: 'alice-client' };
const bob: Caller = { uid: 1001, gid: 1001, clientId: 'bob-client' };

const chunkSizeBytes = limits.chunkSizeBytesMin;
const defaultReplication = 3;

/** Datanodes the fake placement hands out, and which of them hold which chunk version. */
class FakePlacement implements ChunkPlacement {
  readonly datanodes: Pipeline[] = ['dn1', 'dn2', 'dn3', 'dn4'].map((id) => ({ id, address: `${id}:7001` }));
  readonly placed: Array<{ replication: number; exclude: readonly string[] }> = [];
  private readonly holders = new Map<string, Pipeline[]>();

  place(replication: number, exclude: readonly string[]): Pipeline[] {
    this.placed.push({ replication, exclude });
    const candidates = this.datanodes.filter((dn) => !exclude.includes(dn.id));
    if (candidates.length === 0) throw new CairnError('ENOSPC', 'no datanode');
    return candidates.slice(0, replication);
  }

  replicasOf(chunkId: number, gen: number): Pipeline[] {
    return this.holders.get(`${chunkId}:${gen}`) ?? [];
  }

  /** Records that a pipeline acknowledged (chunkId, gen), as the chunk map would learn it. */
  stored(chunkId: number, gen: number, pipeline: Pipeline[]): void {
    this.holders.set(`${chunkId}:${gen}`, pipeline);
  }
}

/**
 * The namespace as a test drives it: every call is one `ns.run` with a clock that moves 1 ms
 * per operation, so each operation's `nowMs` is distinct and known (`lastNowMs`).
 */
class Harness {
  nowMs = 1_000_000;
  readonly leases: number[] = [];
  readonly placement = new FakePlacement();

  constructor(readonly ns: Namespace) {}

  get lastNowMs(): number {
    return this.nowMs;
  }

  run<T>(caller: Caller, op: (ctx: OpContext) => Promise<T>): Promise<T> {
    this.nowMs += 1;
    return this.ns.run(caller, this.nowMs, op);
  }

  takeLease = (ino: number): void => {
    this.leases.push(ino);
  };

  mkdir(path: string, opts: { as?: Caller; mode?: number; recursive?: boolean } = {}): Promise<Attr> {
    return this.run(opts.as ?? root, (ctx) => mkdir(ctx, path, opts.mode ?? 0o755, opts.recursive ?? false));
  }

  open(path: string, flags: Partial<OpenFlags> = {}, as: Caller = root, takeLease = this.takeLease) {
    const full: OpenFlags = { write: false, create: false, exclusive: false, truncate: false, mode: 0o644, replication: 0, ...flags };
    return this.run(as, (ctx) => open(ctx, path, full, takeLease));
  }

  async create(path: string, opts: { as?: Caller; mode?: number; replication?: number } = {}): Promise<Attr> {
    const flags = { write: true, create: true, exclusive: true, mode: opts.mode ?? 0o644, replication: opts.replication ?? 0 };
    return (await this.open(path, flags, opts.as ?? root)).attr;
  }

  stat(path: string, as: Caller = root): Promise<Attr> {
    return this.run(as, (ctx) => stat(ctx, path, true));
  }

  lstat(path: string, as: Caller = root): Promise<Attr> {
    return this.run(as, (ctx) => stat(ctx, path, false));
  }

  readdir(path: string, startAfter = '', limit = 0, as: Caller = root) {
    return this.run(as, (ctx) => readdir(ctx, path, startAfter, limit));
  }

  async names(path: string): Promise<string[]> {
    return (await this.readdir(path)).entries.map((entry) => entry.name);
  }

  rename(src: string, dst: string, as: Caller = root): Promise<FreedChunk[]> {
    return this.run(as, (ctx) => rename(ctx, src, dst));
  }

  unlink(path: string, as: Caller = root): Promise<FreedChunk[]> {
    return this.run(as, (ctx) => unlink(ctx, path));
  }

  rmdir(path: string, as: Caller = root): Promise<void> {
    return this.run(as, (ctx) => rmdir(ctx, path));
  }

  symlink(target: string, path: string, as: Caller = root): Promise<Attr> {
    return this.run(as, (ctx) => symlink(ctx, target, path));
  }

  prepare(ino: number, index: number, exclude: string[] = []): Promise<PreparedChunk> {
    return this.run(root, (ctx) => prepareChunk(ctx, ino, index, exclude, this.takeLease, this.placement));
  }

  commit(ino: number, index: number, prepared: { chunkId: number; gen: number }, lengthBytes: number): Promise<Attr> {
    const input = { ino, index, chunkId: prepared.chunkId, gen: prepared.gen, lengthBytes, mtimeMs: 0 };
    return this.run(root, (ctx) => commitChunk(ctx, input, this.takeLease));
  }

  /** Prepares and commits one chunk, recording its replicas in the fake placement. */
  async writeChunk(ino: number, index: number, lengthBytes: number): Promise<{ chunkId: number; gen: number }> {
    const prepared = await this.prepare(ino, index);
    await this.commit(ino, index, prepared, lengthBytes);
    this.placement.stored(prepared.chunkId, prepared.gen, prepared.pipeline);
    return { chunkId: prepared.chunkId, gen: prepared.gen };
  }

  async chunks(ino: number): Promise<Array<{ index: number; id: number; gen: number; len: number }>> {
    const { chunks } = await this.run(root, (ctx) => getChunks(ctx, ino, 0, 0));
    return chunks.map(({ index, id, gen, len }) => ({ index, id, gen, len }));
  }
}

let fs: Harness;

beforeEach(async () => {
  const kv = await LevelKv.open(new MemoryLevel<string, string>({ keyEncoding: 'utf8', valueEncoding: 'utf8' }));
  fs = new Harness(await Namespace.open(kv, { chunkSizeBytes, defaultReplication, nowMs: 1 }));
});

afterEach(async () => {
  await fs.ns.close();
});

describe('format', () => {
  it('a fresh namespace has an empty root directory owned by root with mode 0755 and nlink 2', async () => {
    const attr = await fs.stat('/');
    expect(attr).toMatchObject({ inode: 1, kind: 'directory', mode: 0o755, uid: 0, gid: 0, nlink: 2 });
    expect(await fs.readdir('/')).toEqual({ entries: [], more: false });
    expect(fs.ns.settings).toEqual({ chunkSizeBytes, defaultReplication });
  });
});

describe('mkdir', () => {
  it('creates a directory owned by the caller with nlink 2 and adds a link to its parent', async () => {
    await fs.mkdir('/home', { mode: 0o777 });
    const attr = await fs.mkdir('/home/alice', { as: alice, mode: 0o750 });
    const createdMs = fs.lastNowMs;
    expect(attr).toMatchObject({ kind: 'directory', mode: 0o750, uid: 1000, gid: 1000, nlink: 2 });
    expect(await fs.stat('/home/alice')).toEqual(attr);
    expect(await fs.stat('/home')).toMatchObject({ nlink: 3, mtimeMs: createdMs, ctimeMs: createdMs });
    expect(await fs.names('/home')).toEqual(['alice']);
  });

  it('in a setgid directory new entries take its group, new directories its setgid bit too; a non-member\'s file loses setgid', async () => {
    await fs.mkdir('/team', { mode: 0o777 });
    await fs.run(root, (ctx) => setAttr(ctx, '/team', false, { mode: 0o2777, gid: 4242 }));
    expect(await fs.mkdir('/team/sub', { as: alice, mode: 0o755 })).toMatchObject({ gid: 4242, mode: 0o2755 });
    expect(await fs.mkdir('/team/sub/deeper', { as: alice, mode: 0o700 })).toMatchObject({ gid: 4242, mode: 0o2700 });
    expect(await fs.create('/team/sub/f', { as: alice, mode: 0o644 })).toMatchObject({ gid: 4242, mode: 0o644 });
    // A file asking for setgid keeps it only for a member of its group (or root).
    expect(await fs.create('/team/outsider', { as: alice, mode: 0o2755 })).toMatchObject({ mode: 0o755 });
    const member: Caller = { ...alice, groups: [4242] };
    expect(await fs.create('/team/member', { as: member, mode: 0o2755 })).toMatchObject({ mode: 0o2755 });
    expect(await fs.create('/team/root-made', { mode: 0o2755 })).toMatchObject({ mode: 0o2755 });
    // Outside a setgid directory nothing changes.
    expect(await fs.mkdir('/team-like', { mode: 0o755 })).toMatchObject({ gid: 0, mode: 0o755 });
  });

  it('mkdir -p creates every missing ancestor and succeeds on an existing directory', async () => {
    await fs.mkdir('/a');
    const leaf = await fs.mkdir('/a/b/c/d', { recursive: true, mode: 0o700 });
    expect(leaf.mode).toBe(0o700);
    expect(await fs.names('/a/b/c')).toEqual(['d']);
    expect((await fs.stat('/a/b')).nlink).toBe(3);
    const again = await fs.mkdir('/a/b/c/d', { recursive: true });
    expect(again.inode).toBe(leaf.inode);
  });

  it('mkdir -p follows a symlink to a directory in an existing component', async () => {
    await fs.mkdir('/real');
    await fs.symlink('/real', '/link');
    await fs.mkdir('/link/sub', { recursive: true });
    expect(await fs.names('/real')).toEqual(['sub']);
  });

  it('fails with EEXIST when the name is taken by a directory or a file', async () => {
    await fs.mkdir('/d');
    await fs.create('/f');
    await rejectsWith(fs.mkdir('/d'), 'EEXIST');
    await rejectsWith(fs.mkdir('/f'), 'EEXIST');
    await rejectsWith(fs.mkdir('/f', { recursive: true }), 'EEXIST');
  });

  it('fails with ENOENT when the parent does not exist', async () => {
    await rejectsWith(fs.mkdir('/missing/child'), 'ENOENT');
    expect(await fs.names('/')).toEqual([]);
  });

  it('fails with ENOTDIR when an ancestor is a file', async () => {
    await fs.create('/f');
    await rejectsWith(fs.mkdir('/f/child'), 'ENOTDIR');
    await rejectsWith(fs.mkdir('/f/child/grandchild', { recursive: true }), 'ENOTDIR');
  });

});

describe('open and create', () => {
  it('create makes an empty file with the default replication and takes the write lease', async () => {
    const attr = await fs.create('/f', { mode: 0o640 });
    expect(attr).toMatchObject({ kind: 'file', mode: 0o640, sizeBytes: 0, nlink: 1, replication: defaultReplication });
    expect(fs.leases).toEqual([attr.inode]);
    expect(await fs.stat('/f')).toEqual(attr);
  });

  it('create honours an explicit replication and rejects one above replicationMax with EINVAL', async () => {
    expect((await fs.create('/one', { replication: 1 })).replication).toBe(1);
    await rejectsWith(fs.create('/too-many', { replication: limits.replicationMax + 1 }), 'EINVAL');
    await rejectsWith(fs.stat('/too-many'), 'ENOENT');
  });

  it('exclusive create fails with EEXIST on an existing file', async () => {
    await fs.create('/f');
    await rejectsWith(fs.create('/f'), 'EEXIST');
  });

  it('open without create fails with ENOENT on a missing file', async () => {
    await rejectsWith(fs.open('/nope'), 'ENOENT');
  });

  it('opening for reading does not take the write lease', async () => {
    const { inode } = await fs.create('/f');
    fs.leases.length = 0;
    const { attr } = await fs.open('/f');
    expect(attr.inode).toBe(inode);
    expect(fs.leases).toEqual([]);
  });

  it('a lease callback that refuses with EBUSY aborts the create and leaves no file', async () => {
    const refuse = (): void => {
      throw new CairnError('EBUSY');
    };
    await rejectsWith(fs.open('/f', { write: true, create: true }, root, refuse), 'EBUSY');
    await rejectsWith(fs.stat('/f'), 'ENOENT');
    expect(await fs.names('/')).toEqual([]);
  });

  it('open with truncate sets the size to 0 and frees every chunk', async () => {
    const { inode } = await fs.create('/f');
    const first = await fs.writeChunk(inode, 0, chunkSizeBytes);
    const second = await fs.writeChunk(inode, 1, 10);
    expect((await fs.stat('/f')).sizeBytes).toBe(chunkSizeBytes + 10);
    const { attr, freed } = await fs.open('/f', { write: true, truncate: true });
    expect(attr.sizeBytes).toBe(0);
    expect(freed).toEqual([first, second]);
    expect(await fs.chunks(inode)).toEqual([]);
    expect((await fs.stat('/f')).sizeBytes).toBe(0);
  });

  it('open with truncate frees the chunks of a file whose size is already 0', async () => {
    const { inode } = await fs.create('/f');
    const empty = await fs.writeChunk(inode, 0, 0); // a pipeline acknowledged zero bytes
    expect((await fs.stat('/f')).sizeBytes).toBe(0);
    const { freed } = await fs.open('/f', { write: true, truncate: true });
    expect(freed).toEqual([empty]);
    expect(await fs.chunks(inode)).toEqual([]);
  });

  it('open with truncate of an empty file without chunks changes nothing', async () => {
    const created = await fs.create('/f');
    const { attr, freed } = await fs.open('/f', { write: true, truncate: true });
    expect(freed).toEqual([]);
    expect(attr).toEqual(created);
  });

  it('open for writing without truncate keeps the data', async () => {
    const { inode } = await fs.create('/f');
    await fs.writeChunk(inode, 0, 100);
    const { attr, freed } = await fs.open('/f', { write: true });
    expect(attr.sizeBytes).toBe(100);
    expect(freed).toEqual([]);
    expect(await fs.chunks(inode)).toHaveLength(1);
  });

  it('opening a directory for writing fails with EISDIR, while reading it is allowed', async () => {
    await fs.mkdir('/d');
    await rejectsWith(fs.open('/d', { write: true }), 'EISDIR');
    expect((await fs.open('/d')).attr.kind).toBe('directory');
  });

  it('open follows a symlink to the file it names', async () => {
    const { inode } = await fs.create('/target');
    await fs.symlink('target', '/link');
    expect((await fs.open('/link', { write: true })).attr.inode).toBe(inode);
  });
});

describe('symlinks, stat and lstat', () => {
  it('stat follows a final symlink; lstat describes the link itself', async () => {
    const file = await fs.create('/file');
    const link = await fs.symlink('/file', '/link');
    expect((await fs.stat('/link')).inode).toBe(file.inode);
    const lstat = await fs.lstat('/link');
    expect(lstat).toMatchObject({ inode: link.inode, kind: 'symlink', sizeBytes: '/file'.length, mode: 0o777 });
    expect(await fs.run(root, (ctx) => readlink(ctx, '/link'))).toBe('/file');
  });

  it('symlinks in intermediate components are followed, absolute and relative', async () => {
    await fs.mkdir('/a/b/c', { recursive: true });
    const file = await fs.create('/a/b/c/file');
    await fs.symlink('/a/b', '/abs');
    await fs.symlink('b/c', '/a/rel');
    await fs.symlink('../b', '/a/b/up');
    expect((await fs.stat('/abs/c/file')).inode).toBe(file.inode);
    expect((await fs.stat('/a/rel/file')).inode).toBe(file.inode);
    expect((await fs.lstat('/a/rel/file')).inode).toBe(file.inode);
    expect((await fs.stat('/a/b/up/c/file')).inode).toBe(file.inode);
  });

  it('a symlink cycle fails with ELOOP', async () => {
    await fs.symlink('/b', '/a');
    await fs.symlink('/a', '/b');
    await fs.symlink('self', '/self');
    await rejectsWith(fs.stat('/a'), 'ELOOP');
    await rejectsWith(fs.stat('/self/x'), 'ELOOP');
    expect((await fs.lstat('/a')).kind).toBe('symlink');
  });

  it('a dangling symlink can be lstat-ed but stat fails with ENOENT', async () => {
    await fs.symlink('/nowhere', '/dangling');
    expect((await fs.lstat('/dangling')).kind).toBe('symlink');
    await rejectsWith(fs.stat('/dangling'), 'ENOENT');
  });

  it('a file used as a directory fails with ENOTDIR', async () => {
    await fs.create('/f');
    await rejectsWith(fs.stat('/f/x'), 'ENOTDIR');
  });

  it('symlink onto an existing name fails with EEXIST, and an empty target with ENOENT', async () => {
    await fs.create('/f');
    await rejectsWith(fs.symlink('/x', '/f'), 'EEXIST');
    await rejectsWith(fs.symlink('', '/g'), 'ENOENT');
  });
});

describe('readdir', () => {
  it('lists 2500 entries in 3 pages of at most 1000, in name order, with more set on all but the last', async () => {
    const count = 2500;
    const names = Array.from({ length: count }, (_, i) => `file-${String(i).padStart(4, '0')}`);
    // Created in a scrambled order, concurrently (the namespace serialises them).
    const scrambled = names.map((_, i) => names[(i * 7919) % count] as string);
    expect(new Set(scrambled).size).toBe(count);
    await fs.mkdir('/big');
    await Promise.all(scrambled.map((name) => fs.create(`/big/${name}`)));

    const pages: Array<{ names: string[]; more: boolean }> = [];
    let after = '';
    for (;;) {
      const page = await fs.readdir('/big', after, 1000);
      pages.push({ names: page.entries.map((entry) => entry.name), more: page.more });
      if (!page.more) break;
      after = page.entries[page.entries.length - 1]?.name ?? '';
    }
    expect(pages.map((page) => page.names.length)).toEqual([1000, 1000, 500]);
    expect(pages.map((page) => page.more)).toEqual([true, true, false]);
    expect(pages.flatMap((page) => page.names)).toEqual(names);
  });

  it('a page of exactly the remaining entries says there is no more', async () => {
    await fs.mkdir('/d');
    for (const name of ['a', 'b', 'c']) await fs.create(`/d/${name}`);
    expect(await fs.readdir('/d', '', 3)).toMatchObject({ more: false });
    const page = await fs.readdir('/d', 'a', 1);
    expect(page.entries.map((entry) => entry.name)).toEqual(['b']);
    expect(page.more).toBe(true);
  });

  it('orders names by their UTF-8 bytes and returns each entry with its attributes', async () => {
    await fs.mkdir('/d');
    const names = ['B', 'a', 'é', '\uFFFD', '😀'];
    for (const name of [...names].reverse()) await fs.create(`/d/${name}`);
    const { entries } = await fs.readdir('/d');
    expect(entries.map((entry) => entry.name)).toEqual(names);
    expect(entries.every((entry) => entry.attr.kind === 'file')).toBe(true);
  });

  it('readdir of a file fails with ENOTDIR, of a missing path with ENOENT', async () => {
    await fs.create('/f');
    await rejectsWith(fs.readdir('/f'), 'ENOTDIR');
    await rejectsWith(fs.readdir('/missing'), 'ENOENT');
  });
});

describe('directory versions', () => {
  it('every operation that changes a directory\'s entries moves its version by exactly one; other changes do not', async () => {
    const version = async (path: string): Promise<number> => (await fs.stat(path)).dirVersion;
    await fs.mkdir('/d');
    await fs.mkdir('/e');
    expect(await version('/d')).toBe(0);
    await fs.create('/d/a');
    expect(await version('/d')).toBe(1);
    await fs.mkdir('/d/sub');
    await fs.symlink('a', '/d/link');
    expect(await version('/d')).toBe(3);
    // A rename within one directory touches it twice in one operation: one step.
    await fs.rename('/d/a', '/d/b');
    expect(await version('/d')).toBe(4);
    // Across directories, one step each; replacing an existing name too.
    await fs.create('/e/c');
    await fs.rename('/d/b', '/e/c');
    expect([await version('/d'), await version('/e')]).toEqual([5, 2]);
    await fs.unlink('/d/link');
    await fs.rmdir('/d/sub');
    expect(await version('/d')).toBe(7);
    // Attributes of the directory, or of a file in it, are not changes of its entries.
    await fs.run(root, (ctx) => setAttr(ctx, '/d', false, { mode: 0o700 }));
    await fs.run(root, (ctx) => setAttr(ctx, '/e/c', false, { mode: 0o600 }));
    expect([await version('/d'), await version('/e')]).toEqual([7, 2]);
    // A failed change changes nothing.
    await rejectsWith(fs.create('/e/c'), 'EEXIST');
    expect(await version('/e')).toBe(2);
    // Files report 0.
    expect((await fs.stat('/e/c')).dirVersion).toBe(0);
  });
});

describe('rename', () => {
  it('moves a file to a new name, leaving nothing at the old one', async () => {
    const file = await fs.create('/a');
    expect(await fs.rename('/a', '/b')).toEqual([]);
    expect((await fs.stat('/b')).inode).toBe(file.inode);
    await rejectsWith(fs.stat('/a'), 'ENOENT');
    expect(await fs.names('/')).toEqual(['b']);
  });

  it('replaces an existing file atomically and frees its chunks', async () => {
    const moving = await fs.create('/new');
    await fs.writeChunk(moving.inode, 0, 5);
    const old = await fs.create('/old');
    const oldChunk = await fs.writeChunk(old.inode, 0, 100);
    const freed = await fs.rename('/new', '/old');
    expect(freed).toEqual([oldChunk]);
    expect((await fs.stat('/old')).inode).toBe(moving.inode);
    expect(await fs.chunks(old.inode).catch((e: CairnError) => e.code)).toBe('ENOENT');
    expect(await fs.chunks(moving.inode)).toHaveLength(1);
    expect(await fs.names('/')).toEqual(['old']);
  });

  it('replaces an empty directory and keeps the parents\' link counts right', async () => {
    await fs.mkdir('/src/moving', { recursive: true });
    await fs.mkdir('/dst/empty', { recursive: true });
    const moving = await fs.stat('/src/moving');
    await fs.rename('/src/moving', '/dst/empty');
    expect((await fs.stat('/dst/empty')).inode).toBe(moving.inode);
    expect((await fs.stat('/src')).nlink).toBe(2);
    expect((await fs.stat('/dst')).nlink).toBe(3);
    expect((await fs.stat('/')).nlink).toBe(4);
  });

  it('replacing an empty directory in the same parent drops exactly one parent link', async () => {
    await fs.mkdir('/p/x', { recursive: true });
    await fs.mkdir('/p/y');
    expect((await fs.stat('/p')).nlink).toBe(4);
    await fs.rename('/p/x', '/p/y');
    expect((await fs.stat('/p')).nlink).toBe(3);
    expect(await fs.names('/p')).toEqual(['y']);
  });

  it('fails with ENOTEMPTY when the target directory is not empty', async () => {
    await fs.mkdir('/a');
    await fs.mkdir('/b/child', { recursive: true });
    await rejectsWith(fs.rename('/a', '/b'), 'ENOTEMPTY');
    expect(await fs.names('/')).toEqual(['a', 'b']);
  });

  it('fails with EISDIR moving a file onto a directory and ENOTDIR moving a directory onto a file', async () => {
    await fs.create('/f');
    await fs.mkdir('/d');
    await rejectsWith(fs.rename('/f', '/d'), 'EISDIR');
    await rejectsWith(fs.rename('/d', '/f'), 'ENOTDIR');
    expect((await fs.stat('/f')).kind).toBe('file');
    expect((await fs.stat('/d')).kind).toBe('directory');
  });

  it('fails with EINVAL moving a directory into its own subtree', async () => {
    await fs.mkdir('/a/b/c', { recursive: true });
    await rejectsWith(fs.rename('/a', '/a/b/c/a'), 'EINVAL');
    await rejectsWith(fs.rename('/a', '/a/inside'), 'EINVAL');
    expect(await fs.names('/')).toEqual(['a']);
  });

  it('moving a directory moves one link from the old parent to the new one and updates its parent', async () => {
    await fs.mkdir('/from/dir', { recursive: true });
    await fs.mkdir('/to');
    await fs.rename('/from/dir', '/to/dir');
    expect((await fs.stat('/from')).nlink).toBe(2);
    expect((await fs.stat('/to')).nlink).toBe(3);
    expect((await fs.stat('/to/dir')).nlink).toBe(2);
    // The moved directory's parent pointer now names /to, so /to cannot be moved under it.
    await rejectsWith(fs.rename('/to', '/to/dir/to'), 'EINVAL');
    await fs.rename('/from', '/to/dir/from');
    expect(await fs.names('/to/dir')).toEqual(['from']);
  });

  it('renaming a file within its directory keeps the directory link count', async () => {
    await fs.mkdir('/d');
    await fs.create('/d/a');
    await fs.rename('/d/a', '/d/b');
    expect((await fs.stat('/d')).nlink).toBe(2);
    expect(await fs.names('/d')).toEqual(['b']);
  });

  it('rename onto itself is a no-op', async () => {
    const file = await fs.create('/f');
    await fs.mkdir('/d');
    const dirBefore = await fs.stat('/d');
    expect(await fs.rename('/f', '/f')).toEqual([]);
    await fs.rename('/d', '/d');
    expect((await fs.stat('/f')).inode).toBe(file.inode);
    expect(await fs.stat('/d')).toEqual(dirBefore);
    expect(await fs.names('/')).toEqual(['d', 'f']);
  });

  it('fails with ENOENT when the source does not exist', async () => {
    await rejectsWith(fs.rename('/missing', '/x'), 'ENOENT');
  });

  it('moving the root fails with EBUSY', async () => {
    await fs.mkdir('/d');
    await rejectsWith(fs.rename('/', '/d/root'), 'EBUSY');
  });
});

describe('unlink and rmdir', () => {
  it('unlink removes a file and frees its chunks', async () => {
    const { inode } = await fs.create('/f');
    const a = await fs.writeChunk(inode, 0, chunkSizeBytes);
    const b = await fs.writeChunk(inode, 1, 1);
    expect(await fs.unlink('/f')).toEqual([a, b]);
    await rejectsWith(fs.stat('/f'), 'ENOENT');
    expect(await fs.names('/')).toEqual([]);
    const leftover = await fs.run(root, (ctx) => ctx.tx.range({ gte: 'c/', lt: 'c0' }));
    expect(leftover).toEqual([]);
  });

  it('unlink of a directory fails with EISDIR', async () => {
    await fs.mkdir('/d');
    await rejectsWith(fs.unlink('/d'), 'EISDIR');
  });

  it('unlink of a symlink removes the link, not its target', async () => {
    await fs.create('/target');
    await fs.symlink('/target', '/link');
    expect(await fs.unlink('/link')).toEqual([]);
    expect(await fs.names('/')).toEqual(['target']);
  });

  it('unlink of a missing name fails with ENOENT', async () => {
    await rejectsWith(fs.unlink('/nope'), 'ENOENT');
  });

  it('rmdir removes an empty directory and drops its parent\'s link count', async () => {
    await fs.mkdir('/d');
    expect((await fs.stat('/')).nlink).toBe(3);
    await fs.rmdir('/d');
    await rejectsWith(fs.stat('/d'), 'ENOENT');
    expect((await fs.stat('/')).nlink).toBe(2);
  });

  it('rmdir of a non-empty directory fails with ENOTEMPTY', async () => {
    await fs.mkdir('/d');
    await fs.create('/d/f');
    await rejectsWith(fs.rmdir('/d'), 'ENOTEMPTY');
    expect(await fs.names('/d')).toEqual(['f']);
  });

  it('rmdir of a file or of a symlink to a directory fails with ENOTDIR', async () => {
    await fs.create('/f');
    await fs.mkdir('/d');
    await fs.symlink('/d', '/link');
    await rejectsWith(fs.rmdir('/f'), 'ENOTDIR');
    await rejectsWith(fs.rmdir('/link'), 'ENOTDIR');
  });

  it('in a sticky directory only the owner of an entry (or of the directory) may remove it', async () => {
    await fs.mkdir('/tmp', { mode: 0o1777 });
    await fs.create('/tmp/alices', { as: alice });
    await rejectsWith(fs.unlink('/tmp/alices', bob), 'EPERM');
    await fs.unlink('/tmp/alices', alice);
    expect(await fs.names('/tmp')).toEqual([]);
  });
});

describe('setattr', () => {
  it('chmod by a non-owner fails with EPERM; the owner may change the mode', async () => {
    await fs.mkdir('/home', { mode: 0o777 });
    await fs.create('/home/f', { as: alice, mode: 0o644 });
    await rejectsWith(fs.run(bob, (ctx) => setAttr(ctx, '/home/f', true, { mode: 0o777 })), 'EPERM');
    const attr = await fs.run(alice, (ctx) => setAttr(ctx, '/home/f', true, { mode: 0o600 }));
    expect(attr.mode).toBe(0o600);
    expect((await fs.stat('/home/f')).mode).toBe(0o600);
  });

  it('chown by a non-root caller fails with EPERM, even by the owner; root may chown', async () => {
    await fs.mkdir('/home', { mode: 0o777 });
    await fs.create('/home/f', { as: alice });
    await rejectsWith(fs.run(alice, (ctx) => setAttr(ctx, '/home/f', true, { uid: bob.uid })), 'EPERM');
    await rejectsWith(fs.run(bob, (ctx) => setAttr(ctx, '/home/f', true, { uid: bob.uid })), 'EPERM');
    const attr = await fs.run(root, (ctx) => setAttr(ctx, '/home/f', true, { uid: bob.uid, gid: bob.gid }));
    expect(attr).toMatchObject({ uid: bob.uid, gid: bob.gid });
  });

  it('the owner may chgrp only to their own group', async () => {
    await fs.mkdir('/home', { mode: 0o777 });
    await fs.create('/home/f', { as: alice });
    await rejectsWith(fs.run(alice, (ctx) => setAttr(ctx, '/home/f', true, { gid: 4242 })), 'EPERM');
    await fs.run(root, (ctx) => setAttr(ctx, '/home/f', true, { gid: 4242 }));
    expect((await fs.run(alice, (ctx) => setAttr(ctx, '/home/f', true, { gid: alice.gid }))).gid).toBe(alice.gid);
  });

  it('with an expected inode, a path that names another is ESTALE and changes nothing', async () => {
    await fs.create('/f');
    const { inode } = await fs.stat('/f');
    await rejectsWith(fs.run(root, (ctx) => setAttr(ctx, '/f', false, { mode: 0o600 }, inode + 1)), 'ESTALE');
    expect((await fs.stat('/f')).mode).toBe(0o644);
    expect((await fs.run(root, (ctx) => setAttr(ctx, '/f', false, { mode: 0o600 }, inode))).mode).toBe(0o600);
  });

  it('utimes sets atime and mtime to the given times and ctime to now', async () => {
    await fs.create('/f');
    const attr = await fs.run(root, (ctx) => setAttr(ctx, '/f', true, { atimeMs: 1234, mtimeMs: 5678 }));
    expect(attr).toMatchObject({ atimeMs: 1234, mtimeMs: 5678, ctimeMs: fs.lastNowMs });
    expect(await fs.stat('/f')).toMatchObject({ atimeMs: 1234, mtimeMs: 5678 });
    await rejectsWith(fs.run(root, (ctx) => setAttr(ctx, '/f', true, { mtimeMs: -1 })), 'EINVAL');
  });

  it('utimes by a caller who neither owns nor may write the file fails with EPERM', async () => {
    await fs.create('/f', { mode: 0o644 });
    await rejectsWith(fs.run(alice, (ctx) => setAttr(ctx, '/f', true, { mtimeMs: 1 })), 'EPERM');
  });

  it('setattr without follow changes the symlink, not its target', async () => {
    await fs.create('/target', { mode: 0o644 });
    await fs.symlink('/target', '/link');
    await fs.run(root, (ctx) => setAttr(ctx, '/link', false, { mtimeMs: 42 }));
    expect((await fs.lstat('/link')).mtimeMs).toBe(42);
    expect((await fs.stat('/target')).mtimeMs).not.toBe(42);
  });
});

describe('setReplication', () => {
  it('accepts 1..replicationMax and rejects 0, replicationMax + 1 and fractions with EINVAL', async () => {
    await fs.create('/f');
    const set = (replication: number) => fs.run(root, (ctx) => setReplication(ctx, '/f', replication));
    expect((await set(1)).replication).toBe(1);
    expect((await set(limits.replicationMax)).replication).toBe(limits.replicationMax);
    await rejectsWith(set(0), 'EINVAL');
    await rejectsWith(set(limits.replicationMax + 1), 'EINVAL');
    await rejectsWith(set(1.5), 'EINVAL');
    expect((await fs.stat('/f')).replication).toBe(limits.replicationMax);
  });

  it('fails with EISDIR on a directory and EPERM for a non-owner', async () => {
    await fs.mkdir('/d');
    await fs.create('/f');
    await rejectsWith(fs.run(root, (ctx) => setReplication(ctx, '/d', 2)), 'EISDIR');
    await rejectsWith(fs.run(alice, (ctx) => setReplication(ctx, '/f', 2)), 'EPERM');
  });
});

describe('permissions', () => {
  it('a non-root caller cannot create in a root-owned 0755 directory (EACCES)', async () => {
    await rejectsWith(fs.mkdir('/x', { as: alice }), 'EACCES');
    await rejectsWith(fs.create('/f', { as: alice }), 'EACCES');
    await rejectsWith(fs.symlink('/f', '/l', alice), 'EACCES');
    expect(await fs.names('/')).toEqual([]);
  });

  it('a caller cannot open another user\'s 0600 file for reading (EACCES), while its owner can', async () => {
    await fs.mkdir('/home', { mode: 0o777 });
    await fs.create('/home/secret', { as: alice, mode: 0o600 });
    await rejectsWith(fs.open('/home/secret', {}, bob), 'EACCES');
    const secretIno = (await fs.stat('/home/secret')).inode;
    await rejectsWith(fs.run(bob, (ctx) => getChunks(ctx, secretIno, 0, 0)), 'EACCES');
    expect((await fs.open('/home/secret', {}, alice)).attr.uid).toBe(alice.uid);
  });

  it('a caller without search permission on a directory cannot reach anything under it (EACCES)', async () => {
    await fs.mkdir('/private', { mode: 0o700 });
    await fs.create('/private/f');
    await rejectsWith(fs.stat('/private/f', alice), 'EACCES');
    await rejectsWith(fs.readdir('/private', '', 0, alice), 'EACCES');
  });

  it('a non-owner cannot rename out of or unlink from a directory it may not write (EACCES)', async () => {
    await fs.mkdir('/d', { mode: 0o755 });
    await fs.create('/d/f', { mode: 0o666 });
    await rejectsWith(fs.unlink('/d/f', alice), 'EACCES');
    await rejectsWith(fs.rename('/d/f', '/d/g', alice), 'EACCES');
    expect(await fs.names('/d')).toEqual(['f']);
  });
});

describe('bad input', () => {
  const longName = 'n'.repeat(limits.nameBytesMax + 1);
  const longPath = '/' + Array.from({ length: 20 }, () => 'p'.repeat(250)).join('/');
  const cases: Array<{ what: string; path: string; code: ErrorCode }> = [
    { what: 'an empty path', path: '', code: 'EINVAL' },
    { what: 'a relative path', path: 'relative/path', code: 'EINVAL' },
    { what: 'a NUL byte', path: '/bad\0name', code: 'EINVAL' },
    { what: 'a "." component', path: '/a/./b', code: 'EINVAL' },
    { what: 'a ".." component', path: '/a/../b', code: 'EINVAL' },
    { what: 'a 256-byte name', path: `/${longName}`, code: 'ENAMETOOLONG' },
    { what: 'a path over 4096 bytes', path: longPath, code: 'ENAMETOOLONG' },
  ];

  it.each(cases)('$what is refused with $code by stat, mkdir and create', async ({ path, code }) => {
    await fs.mkdir('/a');
    await rejectsWith(fs.stat(path), code);
    await rejectsWith(fs.mkdir(path), code);
    await rejectsWith(fs.create(path), code);
    expect(await fs.names('/')).toEqual(['a']);
  });

  it('names are limited in UTF-8 bytes: 255 bytes or 127 two-byte characters pass, 128 two-byte characters do not', async () => {
    const maxName = 'n'.repeat(limits.nameBytesMax);
    await fs.create(`/${maxName}`);
    await rejectsWith(fs.create(`/${'é'.repeat(128)}`), 'ENAMETOOLONG'); // 256 bytes, 128 characters
    await fs.create(`/${'é'.repeat(127)}`);
    expect(await fs.names('/')).toHaveLength(2);
  });

  it('the root cannot be removed or renamed over (EBUSY)', async () => {
    await rejectsWith(fs.rmdir('/'), 'EBUSY');
    await rejectsWith(fs.unlink('/'), 'EBUSY');
    await fs.mkdir('/d');
    await rejectsWith(fs.rename('/d', '/'), 'EBUSY');
  });
});

describe('chunks', () => {
  it('prepareChunk for a new index places a pipeline of the file\'s replication with a fresh id and stamp', async () => {
    const { inode } = await fs.create('/f', { replication: 2 });
    fs.leases.length = 0;
    const prepared = await fs.prepare(inode, 0, ['dn1']);
    expect(fs.placement.placed).toEqual([{ replication: 2, exclude: ['dn1'] }]);
    expect(prepared.pipeline.map((dn) => dn.id)).toEqual(['dn2', 'dn3']);
    expect(prepared).toMatchObject({ baseGen: 0, baseLength: 0 });
    expect(fs.leases).toEqual([inode]);
    const next = await fs.prepare(inode, 1);
    expect(next.chunkId).toBeGreaterThan(prepared.chunkId);
    expect(next.gen).toBeGreaterThan(prepared.gen);
    // Prepared but never committed: not part of the file.
    expect(await fs.chunks(inode)).toEqual([]);
    expect((await fs.stat('/f')).sizeBytes).toBe(0);
  });

  it('prepareChunk for an existing chunk keeps its id, takes a new stamp and pipelines to its live replicas', async () => {
    const { inode } = await fs.create('/f');
    const written = await fs.writeChunk(inode, 0, 100);
    const update = await fs.prepare(inode, 0, ['dn2']);
    expect(update.chunkId).toBe(written.chunkId);
    expect(update.gen).toBeGreaterThan(written.gen);
    expect(update).toMatchObject({ baseGen: written.gen, baseLength: 100 });
    expect(update.pipeline.map((dn) => dn.id)).toEqual(['dn1', 'dn3']);
  });

  it('prepareChunk for an existing chunk with no live replica left fails with EIO', async () => {
    const { inode } = await fs.create('/f');
    const prepared = await fs.prepare(inode, 0);
    await fs.commit(inode, 0, prepared, 100); // no replica recorded in the fake placement
    await rejectsWith(fs.prepare(inode, 0), 'EIO');
  });

  it('prepareChunk passes ENOSPC from the placement through and fails with EISDIR on a directory', async () => {
    const { inode } = await fs.create('/f');
    await rejectsWith(fs.prepare(inode, 0, ['dn1', 'dn2', 'dn3', 'dn4']), 'ENOSPC');
    const dir = await fs.mkdir('/d');
    await rejectsWith(fs.prepare(dir.inode, 0), 'EISDIR');
  });

  it('commitChunk raises the size to the end of the committed chunk and never lowers it', async () => {
    const { inode } = await fs.create('/f');
    await fs.writeChunk(inode, 2, 10);
    expect((await fs.stat('/f')).sizeBytes).toBe(2 * chunkSizeBytes + 10);
    const attr = await fs.commit(inode, 0, await fs.prepare(inode, 0), 5);
    expect(attr.sizeBytes).toBe(2 * chunkSizeBytes + 10);
    expect(attr.mtimeMs).toBe(fs.lastNowMs);
    expect((await fs.chunks(inode)).map((chunk) => [chunk.index, chunk.len])).toEqual([
      [0, 5],
      [2, 10],
    ]);
  });

  it('commitChunk with a stale generation stamp fails with EINVAL and keeps the newer version', async () => {
    const { inode } = await fs.create('/f');
    const first = await fs.prepare(inode, 0);
    const second = await fs.prepare(inode, 0);
    expect(second.chunkId).not.toBe(first.chunkId); // two writers racing for a new chunk get two ids
    const written = await fs.writeChunk(inode, 1, 10);
    const newer = await fs.prepare(inode, 1);
    await fs.commit(inode, 1, newer, 20);
    await rejectsWith(fs.commit(inode, 1, written, 10), 'EINVAL');
    expect((await fs.chunks(inode)).find((chunk) => chunk.index === 1)).toMatchObject({ gen: newer.gen, len: 20 });
  });

  it('commitChunk of a version never handed out, of another chunk id, or of a length over the chunk size fails with EINVAL', async () => {
    const { inode } = await fs.create('/f');
    const written = await fs.writeChunk(inode, 0, 10);
    await rejectsWith(fs.commit(inode, 0, { chunkId: written.chunkId, gen: written.gen + 100 }, 10), 'EINVAL');
    const other = await fs.prepare(inode, 1);
    await rejectsWith(fs.commit(inode, 0, { chunkId: other.chunkId, gen: other.gen }, 10), 'EINVAL');
    const update = await fs.prepare(inode, 0);
    await rejectsWith(fs.commit(inode, 0, update, chunkSizeBytes + 1), 'EINVAL');
    await rejectsWith(fs.commit(inode, -1, update, 1), 'EFBIG');
  });

  it('getChunks lists committed chunks from the requested index', async () => {
    const { inode } = await fs.create('/f');
    for (let index = 0; index < 4; index++) await fs.writeChunk(inode, index, chunkSizeBytes);
    const { chunks, rec } = await fs.run(root, (ctx) => getChunks(ctx, inode, 2, 0));
    expect(chunks.map((chunk) => chunk.index)).toEqual([2, 3]);
    expect(rec.size).toBe(4 * chunkSizeBytes);
    const one = await fs.run(root, (ctx) => getChunks(ctx, inode, 1, 1));
    expect(one.chunks.map((chunk) => chunk.index)).toEqual([1]);
  });

  it('truncate down cuts the last kept chunk\'s length and drops the chunks beyond it', async () => {
    const { inode } = await fs.create('/f');
    const c0 = await fs.writeChunk(inode, 0, chunkSizeBytes);
    const c1 = await fs.writeChunk(inode, 1, chunkSizeBytes);
    const c2 = await fs.writeChunk(inode, 2, 100);
    const size = chunkSizeBytes + 7;
    const { attr, freed } = await fs.run(root, (ctx) => truncate(ctx, inode, size, fs.takeLease));
    expect(attr.sizeBytes).toBe(size);
    expect(freed).toEqual([c2]);
    expect(await fs.chunks(inode)).toEqual([
      { index: 0, id: c0.chunkId, gen: c0.gen, len: chunkSizeBytes },
      { index: 1, id: c1.chunkId, gen: c1.gen, len: 7 },
    ]);
  });

  it('truncate to a chunk boundary drops the chunks from that boundary on and keeps the rest whole', async () => {
    const { inode } = await fs.create('/f');
    await fs.writeChunk(inode, 0, chunkSizeBytes);
    const c1 = await fs.writeChunk(inode, 1, 50);
    const { freed } = await fs.run(root, (ctx) => truncate(ctx, inode, chunkSizeBytes, fs.takeLease));
    expect(freed).toEqual([c1]);
    expect((await fs.chunks(inode)).map((chunk) => [chunk.index, chunk.len])).toEqual([[0, chunkSizeBytes]]);
    const toZero = await fs.run(root, (ctx) => truncate(ctx, inode, 0, fs.takeLease));
    expect(toZero.freed).toHaveLength(1);
    expect(await fs.chunks(inode)).toEqual([]);
  });

  it('truncate up grows the size without touching the chunks, and cut-off bytes do not come back', async () => {
    const { inode } = await fs.create('/f');
    await fs.writeChunk(inode, 0, 100);
    await fs.run(root, (ctx) => truncate(ctx, inode, 40, fs.takeLease));
    const { attr, freed } = await fs.run(root, (ctx) => truncate(ctx, inode, 3 * chunkSizeBytes, fs.takeLease));
    expect(attr.sizeBytes).toBe(3 * chunkSizeBytes);
    expect(freed).toEqual([]);
    expect((await fs.chunks(inode)).map((chunk) => [chunk.index, chunk.len])).toEqual([[0, 40]]);
  });

  it('truncate to a negative or fractional size fails with EINVAL', async () => {
    const { inode } = await fs.create('/f');
    await rejectsWith(fs.run(root, (ctx) => truncate(ctx, inode, -1, fs.takeLease)), 'EINVAL');
    await rejectsWith(fs.run(root, (ctx) => truncate(ctx, inode, 1.5, fs.takeLease)), 'EINVAL');
  });

  it('allChunks lists every committed chunk of every file', async () => {
    const a = await fs.create('/a');
    const b = await fs.create('/b');
    const a0 = await fs.writeChunk(a.inode, 0, 1);
    const b3 = await fs.writeChunk(b.inode, 3, 1);
    const all = [];
    for await (const row of fs.ns.allChunks()) all.push({ ino: row.ino, index: row.index, id: row.chunk.id });
    expect(all).toEqual([
      { ino: a.inode, index: 0, id: a0.chunkId },
      { ino: b.inode, index: 3, id: b3.chunkId },
    ]);
  });
});

describe('fsck', () => {
  it('counts files, directories, chunks and bytes, and reports missing, under-replicated and corrupt chunks', async () => {
    await fs.mkdir('/d/e', { recursive: true });
    const healthy = await fs.create('/d/healthy');
    const thin = await fs.create('/d/e/thin');
    const lost = await fs.create('/lost', { replication: 2 });
    await fs.symlink('/d', '/link');
    const h0 = await fs.writeChunk(healthy.inode, 0, chunkSizeBytes);
    const h1 = await fs.writeChunk(healthy.inode, 1, 10);
    const t0 = await fs.writeChunk(thin.inode, 0, 20);
    const l0 = await fs.writeChunk(lost.inode, 0, 30);

    const live = new Map([
      [h0.chunkId, 3],
      [h1.chunkId, 3],
      [t0.chunkId, 1],
      [l0.chunkId, 0],
    ]);
    const liveReplicas = (chunkId: number, gen: number): number => {
      const found = [h0, h1, t0, l0].find((chunk) => chunk.chunkId === chunkId);
      return found !== undefined && found.gen === gen ? (live.get(chunkId) ?? 0) : 0;
    };
    const corruptReplicas = (chunkId: number): number => (chunkId === h1.chunkId ? 1 : 0);

    const summary = await fs.run(root, (ctx) => fsck(ctx, '/', liveReplicas, corruptReplicas));
    expect(summary).toMatchObject({
      files: 3,
      directories: 3,
      chunks: 4,
      bytes: chunkSizeBytes + 10 + 20 + 30,
      underReplicated: 1,
      missing: 1,
      corrupt: 1,
    });
    expect(summary.problems).toHaveLength(2);
    expect(summary.problems.some((line) => line.startsWith('/lost:'))).toBe(true);
    expect(summary.problems.some((line) => line.startsWith('/d/e/thin:') && line.includes('1 of 3'))).toBe(true);

    const sub = await fs.run(root, (ctx) => fsck(ctx, '/d/e', liveReplicas, corruptReplicas));
    expect(sub).toMatchObject({ files: 1, directories: 1, chunks: 1, underReplicated: 1, missing: 0 });
  });
});
