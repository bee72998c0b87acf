// Real programs on a real mount, each checked by its own verification: tar (then diff -r, and
// find for modes, owners and times), git (status clean, fsck, gc) and SQLite (integrity_check
// and the row count).

import os from 'node:os';
import path from 'node:path';
import fsp from 'node:fs/promises';
import fs from 'fs-extra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { fuseUnavailable, Mount, run, runOk } from '../helpers/mount.js';

const skip = fuseUnavailable();
/** Files in the tarball (regular files of /usr/include, in name order). */
const tarFiles = 1000;
let cluster: MiniCluster;
let mount: Mount;
let scratch: string;

beforeAll(async () => {
  if (skip !== undefined) return;
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'cairn-programs-'));
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 1024 * 1024 });
  mount = await Mount.start(cluster);
});
afterAll(async () => {
  await mount?.stop();
  await cluster?.stop();
  if (scratch !== undefined) await fs.remove(scratch);
});

describe.skipIf(skip !== undefined)('real programs on the mount', () => {
  it(`tar extracts a tarball of ${tarFiles} files from /usr/include; diff -r finds no difference, nor do modes, owners and mtimes`, async () => {
    const list = (await runOk('find', ['.', '-type', 'f'], { cwd: '/usr/include' })).split('\n').filter(Boolean).sort().slice(0, tarFiles);
    expect(list.length).toBe(tarFiles);
    const tarball = path.join(scratch, 'include.tar');
    await runOk('tar', ['-cf', tarball, '-C', '/usr/include', ...list]);
    const local = path.join(scratch, 'local');
    await fs.ensureDir(local);
    await runOk('tar', ['-xf', tarball, '-C', local]);
    await fsp.mkdir(mount.p('include'));
    await runOk('tar', ['-xf', tarball, '-C', mount.p('include')], { timeoutMs: 170_000 });
    await runOk('diff', ['-r', local, mount.p('include')], { timeoutMs: 60_000 });
    // The tarball holds files only: tar makes their directories (with the time of extraction) and
    // directory sizes differ between file systems (ext4 says 4096); everything else must match.
    const metadata = (dir: string): Promise<string> =>
      runOk('find', ['.', '-mindepth', '1', '(', '-type', 'd', '-printf', '%p d %m %U %G\n', ')', '-o', '-printf', '%p %y %m %U %G %s %T@\n'], { cwd: dir, timeoutMs: 60_000 });
    const [want, got] = await Promise.all([metadata(local), metadata(mount.p('include'))]);
    expect(got.split('\n').sort()).toEqual(want.split('\n').sort());
  }, 240_000);

  it('access(2) on a root mount without --allow-other (no default_permissions) answers as the kernel would for root', async () => {
    const dir = mount.p('access');
    await fsp.mkdir(dir, { mode: 0o700 });
    await fsp.writeFile(path.join(dir, 'plain'), 'x');
    await fsp.chmod(path.join(dir, 'plain'), 0o000);
    await fsp.writeFile(path.join(dir, 'tool'), '#!/bin/sh\necho ran\n');
    await fsp.chmod(path.join(dir, 'tool'), 0o700);
    const test = async (flag: string, name: string): Promise<boolean> => (await run('sh', ['-c', `test ${flag} "$1"`, 'sh', path.join(dir, name)])).code === 0;
    expect(await test('-r', 'plain')).toBe(true);
    expect(await test('-w', 'plain')).toBe(true);
    expect(await test('-x', 'plain')).toBe(false); // root too needs an execute bit on a file
    expect(await test('-x', 'tool')).toBe(true);
    expect(await test('-x', '.')).toBe(true);
    expect(await test('-e', 'absent')).toBe(false);
    expect(await runOk(path.join(dir, 'tool'), [])).toBe('ran\n');
    expect((await run('sh', ['-c', `cd "$1" && pwd`, 'sh', dir])).stdout.trim()).toBe(dir);
  });

  it('git init, add -A, commit, status (clean), fsck, gc, and a second commit', async () => {
    const repo = mount.p('repo');
    const source = path.resolve(import.meta.dirname, '../../namenode');
    await fs.copy(source, repo);
    const home = path.join(scratch, 'home');
    await fs.ensureDir(home);
    const env = { ...process.env, HOME: home, GIT_AUTHOR_NAME: 'Cairn', GIT_AUTHOR_EMAIL: 'cairn@example.com', GIT_COMMITTER_NAME: 'Cairn', GIT_COMMITTER_EMAIL: 'cairn@example.com', GIT_CONFIG_NOSYSTEM: '1' };
    const git = (...args: string[]): Promise<string> => runOk('git', args, { cwd: repo, env, timeoutMs: 60_000 });
    await git('init', '-q');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'first');
    expect(await git('status', '--porcelain')).toBe('');
    await git('fsck', '--full', '--strict');
    await git('gc', '-q');
    await git('fsck', '--full', '--strict');
    expect(await git('status', '--porcelain')).toBe('');
    await fsp.appendFile(path.join(repo, 'main.ts'), '// changed on the mount\n');
    expect(await git('status', '--porcelain')).toBe(' M main.ts\n');
    await git('commit', '-q', '-am', 'second');
    expect((await git('log', '--oneline')).trim().split('\n')).toHaveLength(2);
    expect(await git('diff', '--stat', 'HEAD~1')).toContain('main.ts | 1 +');
    await git('fsck', '--full');
  }, 120_000);

  it('SQLite: 1,000 transactions in WAL mode, then integrity_check is ok and the count is right', async () => {
    const db = mount.p('wal.sqlite');
    // WAL with synchronous=NORMAL (fsync at checkpoints), as SQLite recommends for WAL;
    // exclusive locking keeps the WAL index in memory (no shared mmap of a -shm file).
    const statements = ['PRAGMA locking_mode=EXCLUSIVE;', 'PRAGMA journal_mode=WAL;', 'PRAGMA synchronous=NORMAL;', 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);'];
    for (let i = 1; i <= 1000; i++) statements.push(`BEGIN; INSERT INTO t(v) VALUES('row ${i} ${'x'.repeat(i % 97)}'); COMMIT;`);
    await runOk('sqlite3', [db], { input: statements.join('\n'), timeoutMs: 90_000 });
    const out = await runOk('sqlite3', [db, 'PRAGMA integrity_check;', 'SELECT count(*), sum(length(v)) FROM t;']);
    expect(out.trim().split('\n')).toEqual(['ok', `1000|${expectedLength(1000)}`]);
  }, 120_000);

  it('SQLite with the default rollback journal and full fsync: 50 transactions, integrity_check ok, and the journal is gone', async () => {
    const db = mount.p('journal.sqlite');
    // ~300 KB first, in one transaction: large enough for the datanodes' spare copies, which
    // are then patched from superseded versions (datanode/chunk-store.ts) at every fsync.
    const statements = ['CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);', 'BEGIN;'];
    for (let i = 1; i <= 2000; i++) statements.push(`INSERT INTO t(v) VALUES('bulk ${i} ${'b'.repeat(120)}');`);
    statements.push('COMMIT;');
    for (let i = 1; i <= 50; i++) statements.push(`INSERT INTO t(v) VALUES('row ${i} ${'x'.repeat(i % 97)}');`);
    await runOk('sqlite3', [db], { input: statements.join('\n'), timeoutMs: 90_000 });
    const out = await run('sqlite3', [db, 'PRAGMA integrity_check;', "SELECT count(*) FROM t WHERE v LIKE 'row %';", 'SELECT count(*) FROM t;']);
    expect(out.stdout.trim().split('\n')).toEqual(['ok', '50', '2050']);
    expect(await fs.pathExists(mount.p('journal.sqlite-journal'))).toBe(false);
    expect((await cluster.client().readFile('/journal.sqlite')).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
  }, 120_000);
});

/** sum(length(v)) for rows 1..n as inserted above. */
function expectedLength(n: number): number {
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += `row ${i} `.length + (i % 97);
  return sum;
}
