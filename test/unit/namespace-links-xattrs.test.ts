// Hard links and extended attributes over memory-level: each operation of namenode/namespace run
// as the namenode runs it (one transaction through Namespace.run), with an injected clock.

import { MemoryLevel } from 'memory-level';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { limits } from '../../common/limits.js';
import type { Caller } from '../../common/rpc.js';
import { LevelKv } from '../../namenode/store/kv.js';
import type { OpContext } from '../../namenode/namespace/context.js';
import { commitChunk, prepareChunk, type ChunkPlacement } from '../../namenode/namespace/chunks.js';
import { link } from '../../namenode/namespace/link.js';
import { mkdir } from '../../namenode/namespace/mkdir.js';
import { Namespace } from '../../namenode/namespace/namespace.js';
import { open } from '../../namenode/namespace/open.js';
import { readdir, stat } from '../../namenode/namespace/readdir.js';
import { rename } from '../../namenode/namespace/rename.js';
import { rmdir, unlink } from '../../namenode/namespace/remove.js';
import { setAttr } from '../../namenode/namespace/setattr.js';
import { symlink } from '../../namenode/namespace/symlink.js';
import { getXattr, listXattr, removeXattr, setXattr } from '../../namenode/namespace/xattr.js';
import { rejectsWith } from '../helpers/assertions.js';

const root: Caller = { uid: 0, gid: 0, clientId: 'root-client' };
const alice: Caller = { uid: 1000, gid: 1000, clientId: 'alice-client' };
const bob: Caller = { uid: 1001, gid: 1001, clientId: 'bob-client' };

const chunkSizeBytes = limits.chunkSizeBytesMin;

const placement: ChunkPlacement = {
  place: (replication) => ['dn1', 'dn2', 'dn3'].slice(0, replication).map((id) => ({ id, address: `${id}:1` })),
  replicasOf: () => [],
};

let ns: Namespace;
let nowMs = 1_000_000;

function run<T>(caller: Caller, op: (ctx: OpContext) => Promise<T>): Promise<T> {
  nowMs += 1;
  return ns.run(caller, nowMs, op);
}

async function create(path: string, as: Caller = root, mode = 0o644) {
  const flags = { write: true, create: true, exclusive: true, truncate: false, mode, replication: 0 };
  return (await run(as, (ctx) => open(ctx, path, flags, () => undefined))).attr;
}

const lstat = (path: string, as: Caller = root) => run(as, (ctx) => stat(ctx, path, false));
const names = async (path: string) => (await run(root, (ctx) => readdir(ctx, path, '', 0))).entries.map((e) => e.name);
const allKeys = (prefix: string) => run(root, async (ctx) => (await ctx.tx.range({ gte: prefix, lt: prefix.slice(0, -1) + '0' })).map(([k]) => k));
const set = (path: string, name: string, value: string, as: Caller = root, flags = { create: false, replace: false }, follow = true) =>
  run(as, (ctx) => setXattr(ctx, path, follow, name, Buffer.from(value), flags));
const get = async (path: string, name: string, as: Caller = root, follow = true) =>
  (await run(as, (ctx) => getXattr(ctx, path, follow, name))).toString();
const list = (path: string, as: Caller = root, follow = true) => run(as, (ctx) => listXattr(ctx, path, follow));

beforeEach(async () => {
  const kv = await LevelKv.open(new MemoryLevel<string, string>({ keyEncoding: 'utf8', valueEncoding: 'utf8' }));
  ns = await Namespace.open(kv, { chunkSizeBytes, defaultReplication: 3, nowMs: 1 });
});

afterEach(async () => {
  await ns.close();
});

describe('link', () => {
  it('adds a second name for a file: both share the inode, nlink is 2, ctime moves, the directory changes', async () => {
    const file = await create('/a');
    await run(root, (ctx) => mkdir(ctx, '/d', 0o755, false));
    const linked = await run(root, (ctx) => link(ctx, '/a', '/d/b'));
    const linkedAt = nowMs;
    expect(linked).toMatchObject({ inode: file.inode, nlink: 2, ctimeMs: linkedAt });
    expect(await lstat('/a')).toEqual(linked);
    expect(await lstat('/d/b')).toEqual(linked);
    expect(await lstat('/d')).toMatchObject({ mtimeMs: linkedAt, nlink: 2 });
    expect(await names('/d')).toEqual(['b']);
  });

  it('the data stays until the last name is removed; unlinking one name drops nlink by one', async () => {
    const { inode } = await create('/a');
    const prepared = await run(root, (ctx) => prepareChunk(ctx, inode, 0, [], () => undefined, placement));
    await run(root, (ctx) =>
      commitChunk(ctx, { ino: inode, index: 0, chunkId: prepared.chunkId, gen: prepared.gen, lengthBytes: 10, mtimeMs: 0 }, () => undefined),
    );
    await run(root, (ctx) => link(ctx, '/a', '/b'));
    expect(await run(root, (ctx) => unlink(ctx, '/a'))).toEqual([]);
    expect(await lstat('/b')).toMatchObject({ inode, nlink: 1, sizeBytes: 10 });
    expect(await run(root, (ctx) => unlink(ctx, '/b'))).toEqual([{ chunkId: prepared.chunkId, gen: prepared.gen }]);
    await rejectsWith(lstat('/b'), 'ENOENT');
  });

  it('rename over one name of a linked file keeps the other name and the inode', async () => {
    const { inode } = await create('/a');
    await run(root, (ctx) => link(ctx, '/a', '/b'));
    await create('/c');
    await run(root, (ctx) => rename(ctx, '/c', '/b'));
    expect(await lstat('/a')).toMatchObject({ inode, nlink: 1 });
  });

  it('links a symlink itself, not its target', async () => {
    await create('/target');
    const sym = await run(root, (ctx) => symlink(ctx, '/target', '/sym'));
    const linked = await run(root, (ctx) => link(ctx, '/sym', '/sym2'));
    expect(linked).toMatchObject({ inode: sym.inode, kind: 'symlink', nlink: 2 });
    expect((await lstat('/target')).nlink).toBe(1);
  });

  it('refuses directories (EPERM), taken names (EEXIST), missing sources (ENOENT) and unwritable directories (EACCES)', async () => {
    await run(root, (ctx) => mkdir(ctx, '/d', 0o755, false));
    await create('/a');
    await create('/taken');
    await rejectsWith(run(root, (ctx) => link(ctx, '/d', '/d2')), 'EPERM');
    await rejectsWith(run(root, (ctx) => link(ctx, '/a', '/taken')), 'EEXIST');
    await rejectsWith(run(root, (ctx) => link(ctx, '/missing', '/x')), 'ENOENT');
    await rejectsWith(run(root, (ctx) => link(ctx, '/a', '/missing/x')), 'ENOENT');
    await create('/open', root, 0o666);
    await rejectsWith(run(alice, (ctx) => link(ctx, '/open', '/d/x')), 'EACCES');
    expect((await lstat('/a')).nlink).toBe(1);
  });

  it('a caller who does not own a file needs read and write permission on it to link it (protected_hardlinks)', async () => {
    await run(root, (ctx) => mkdir(ctx, '/tmp', 0o1777, false));
    await create('/tmp/roots', root, 0o644);
    await create('/tmp/shared', root, 0o666);
    await rejectsWith(run(alice, (ctx) => link(ctx, '/tmp/roots', '/tmp/mine')), 'EPERM');
    await run(alice, (ctx) => link(ctx, '/tmp/shared', '/tmp/mine'));
    expect((await lstat('/tmp/mine')).nlink).toBe(2);
  });
});

describe('extended attributes', () => {
  it('set, get, list and remove a user.* attribute; set and remove move ctime', async () => {
    await create('/f');
    await set('/f', 'user.color', 'blue');
    const setAt = nowMs;
    expect(await lstat('/f')).toMatchObject({ ctimeMs: setAt });
    await set('/f', 'user.a', '');
    expect(await get('/f', 'user.color')).toBe('blue');
    expect(await get('/f', 'user.a')).toBe('');
    expect(await list('/f')).toEqual(['user.a', 'user.color']);
    await set('/f', 'user.color', 'red');
    expect(await get('/f', 'user.color')).toBe('red');
    await run(root, (ctx) => removeXattr(ctx, '/f', true, 'user.color'));
    const removedAt = nowMs;
    expect(await lstat('/f')).toMatchObject({ ctimeMs: removedAt });
    await rejectsWith(get('/f', 'user.color'), 'ENODATA');
    expect(await list('/f')).toEqual(['user.a']);
  });

  it('attributes say an inode never had an extended attribute until its first one, and not again after its removal', async () => {
    await create('/plain');
    await run(root, (ctx) => mkdir(ctx, '/d', 0o755, false));
    expect(await lstat('/plain')).toMatchObject({ noXattrs: true });
    expect(await lstat('/d')).toMatchObject({ noXattrs: true });
    await set('/plain', 'user.k', 'v');
    expect(await lstat('/plain')).toMatchObject({ noXattrs: false });
    await run(root, (ctx) => removeXattr(ctx, '/plain', true, 'user.k'));
    // Once had: a client must ask from now on (the flag is never set again).
    expect(await lstat('/plain')).toMatchObject({ noXattrs: false });
    expect(await lstat('/d')).toMatchObject({ noXattrs: true });
  });

  it('keeps binary values byte for byte, up to 64 KiB; larger values are E2BIG', async () => {
    await create('/f');
    const value = Buffer.from(Array.from({ length: limits.xattrValueBytesMax }, (_, i) => i % 256));
    await run(root, (ctx) => setXattr(ctx, '/f', true, 'user.bin', value, { create: false, replace: false }));
    expect((await run(root, (ctx) => getXattr(ctx, '/f', true, 'user.bin'))).equals(value)).toBe(true);
    const tooBig = Buffer.alloc(limits.xattrValueBytesMax + 1);
    await rejectsWith(run(root, (ctx) => setXattr(ctx, '/f', true, 'user.big', tooBig, { create: false, replace: false })), 'E2BIG');
  });

  it('XATTR_CREATE fails with EEXIST on an existing name and XATTR_REPLACE with ENODATA on a missing one', async () => {
    await create('/f');
    await set('/f', 'user.x', '1', root, { create: true, replace: false });
    await rejectsWith(set('/f', 'user.x', '2', root, { create: true, replace: false }), 'EEXIST');
    await rejectsWith(set('/f', 'user.y', '2', root, { create: false, replace: true }), 'ENODATA');
    await set('/f', 'user.x', '3', root, { create: false, replace: true });
    expect(await get('/f', 'user.x')).toBe('3');
    await rejectsWith(run(root, (ctx) => removeXattr(ctx, '/f', true, 'user.y')), 'ENODATA');
  });

  it('refuses unknown namespaces and system.* (ENOTSUP) and bad names (ERANGE)', async () => {
    await create('/f');
    await rejectsWith(set('/f', 'system.posix_acl_access', 'x'), 'ENOTSUP');
    await rejectsWith(set('/f', 'color', 'x'), 'ENOTSUP');
    await rejectsWith(set('/f', 'user.', 'x'), 'ENOTSUP');
    await rejectsWith(set('/f', '', 'x'), 'ERANGE');
    await rejectsWith(set('/f', `user.${'n'.repeat(limits.xattrNameBytesMax)}`, 'x'), 'ERANGE');
  });

  it('user.* follows file permissions: read needs r, write needs w; others cannot see trusted.* or write security.*', async () => {
    await run(root, (ctx) => mkdir(ctx, '/home', 0o777, false));
    await create('/home/f', alice, 0o640);
    await run(root, (ctx) => symlink(ctx, '/home/f', '/f'));
    await set('/f', 'user.note', 'hi', alice);
    await set('/f', 'trusted.secret', 's');
    await set('/f', 'security.label', 'l');
    await rejectsWith(get('/f', 'user.note', bob), 'EACCES');
    await rejectsWith(set('/f', 'user.note', 'x', bob), 'EACCES');
    await rejectsWith(get('/f', 'trusted.secret', alice), 'ENODATA');
    await rejectsWith(set('/f', 'trusted.other', 'x', alice), 'EPERM');
    await rejectsWith(set('/f', 'security.other', 'x', alice), 'EPERM');
    expect(await get('/f', 'security.label', alice)).toBe('l');
    expect(await list('/f', alice)).toEqual(['security.label', 'user.note']);
    expect(await list('/f')).toEqual(['security.label', 'trusted.secret', 'user.note']);
  });

  it('user.* attributes apply to files and directories, not symlinks; follow chooses the link or its target', async () => {
    await create('/f');
    await run(root, (ctx) => symlink(ctx, '/f', '/sym'));
    await rejectsWith(set('/sym', 'user.x', '1', root, { create: false, replace: false }, false), 'EPERM');
    await set('/sym', 'user.x', '1'); // follows to /f
    expect(await get('/f', 'user.x')).toBe('1');
    await rejectsWith(get('/sym', 'user.x', root, false), 'ENODATA');
    await set('/sym', 'trusted.x', 'on the link', root, { create: false, replace: false }, false);
    expect(await list('/sym', root, false)).toEqual(['trusted.x']);
    await run(root, (ctx) => mkdir(ctx, '/d', 0o755, false));
    await set('/d', 'user.dir', 'yes');
    expect(await get('/d', 'user.dir')).toBe('yes');
  });

  it('in a sticky directory only its owner or root may write its user.* attributes', async () => {
    await run(root, (ctx) => mkdir(ctx, '/tmp', 0o1777, false));
    await rejectsWith(set('/tmp', 'user.x', '1', alice), 'EPERM');
    await set('/tmp', 'user.x', '1');
  });

  it('the names of one inode are limited to 64 KiB in all (ENOSPC)', async () => {
    await create('/f');
    const name = (i: number) => `user.${String(i).padStart(250, '0')}`; // 255 bytes + NUL = 256
    const fit = limits.xattrListBytesMax / 256;
    for (let i = 0; i < fit; i++) await set('/f', name(i), '');
    await rejectsWith(set('/f', name(fit), ''), 'ENOSPC');
    await set('/f', name(0), 'replacing an existing name still works');
  });

  it('are deleted with their inode: last unlink, rmdir and rename over an empty directory', async () => {
    await create('/f');
    await set('/f', 'user.a', '1');
    await run(root, (ctx) => link(ctx, '/f', '/g'));
    await run(root, (ctx) => unlink(ctx, '/f'));
    expect(await get('/g', 'user.a')).toBe('1');
    await run(root, (ctx) => unlink(ctx, '/g'));
    await run(root, (ctx) => mkdir(ctx, '/d', 0o755, false));
    await set('/d', 'user.b', '1');
    await run(root, (ctx) => rmdir(ctx, '/d'));
    await run(root, (ctx) => mkdir(ctx, '/e', 0o755, false));
    await run(root, (ctx) => mkdir(ctx, '/src', 0o755, false));
    await set('/e', 'user.c', '1');
    await run(root, (ctx) => rename(ctx, '/src', '/e'));
    expect(await allKeys('x/')).toEqual([]);
  });

  it('removing an inode that never had attributes or chunks reads no key range; one that had them loses them', async () => {
    const ranges = vi.spyOn(LevelKv.prototype, 'range');
    const bare = await create('/bare');
    await run(root, (ctx) => mkdir(ctx, '/bare-dir', 0o755, false));
    expect(await list('/bare')).toEqual([]);
    await expect(get('/bare', 'user.none')).rejects.toThrow(/no xattr/);
    ranges.mockClear();
    const freed = await run(root, (ctx) => unlink(ctx, '/bare'));
    expect([freed, ranges.mock.calls.length]).toEqual([[], 0]);
    await run(root, (ctx) => rmdir(ctx, '/bare-dir'));
    expect(ranges.mock.calls.length).toBe(1); // is it empty: the one range a directory needs
    expect(bare.inode).toBeGreaterThan(0);

    // The first attribute and the first chunk drop the flags for good: both go with the inode.
    const full = await create('/full');
    await set('/full', 'user.a', '1');
    await run(root, (ctx) => removeXattr(ctx, '/full', true, 'user.a'));
    await set('/full', 'user.b', '2');
    const prepared = await run(root, (ctx) => prepareChunk(ctx, full.inode, 0, [], () => undefined, placement));
    await run(root, (ctx) =>
      commitChunk(ctx, { ino: full.inode, index: 0, chunkId: prepared.chunkId, gen: prepared.gen, lengthBytes: 10, mtimeMs: 0 }, () => undefined),
    );
    const dropped = await run(root, (ctx) => unlink(ctx, '/full'));
    expect(dropped.map((c) => c.chunkId)).toEqual([prepared.chunkId]);
    expect(await allKeys('x/')).toEqual([]);
    expect(await allKeys('c/')).toEqual([]);
    ranges.mockRestore();
  });

  it('chmod keeps attributes', async () => {
    await create('/f');
    await set('/f', 'user.a', '1');
    await run(root, (ctx) => setAttr(ctx, '/f', true, { mode: 0o600 }));
    expect(await get('/f', 'user.a')).toBe('1');
  });
});
