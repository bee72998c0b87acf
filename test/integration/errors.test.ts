// Every bad input gets a clear POSIX error through the SDK against a real cluster, the POSIX
// codes survive the trip through gRPC end to end, and none of it hurts the cluster. A writer that
// dies loses its lease once it expires, so its file does not stay locked forever.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiniCluster, waitFor } from '../helpers/mini-cluster.js';
import { pseudoRandomBytes } from '../helpers/data.js';
import type { CairnClient } from '../../client/sdk/client.js';

const sdkUrl = pathToFileURL(fileURLToPath(new URL('../../dist/client/sdk/client.js', import.meta.url))).href;

/** Resolves to the rejection's code; fails the test if `promise` resolves. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
  throw new Error('expected a rejection, but the call succeeded');
}

describe('bad input and POSIX errors through the SDK', () => {
  let cluster: MiniCluster;
  let fs: CairnClient;

  beforeAll(async () => {
    cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 1024 * 1024 });
    fs = cluster.client();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  describe('malformed paths are refused with EINVAL or ENAMETOOLONG', () => {
    it('an empty path is EINVAL', async () => {
      expect(await codeOf(fs.stat(''))).toBe('EINVAL');
      expect(await codeOf(fs.writeFile('', 'x'))).toBe('EINVAL');
    });

    it('a relative path is EINVAL', async () => {
      expect(await codeOf(fs.stat('a/b'))).toBe('EINVAL');
      expect(await codeOf(fs.mkdir('a/b'))).toBe('EINVAL');
    });

    it('a name of 256 bytes is ENAMETOOLONG and a name of 255 bytes works', async () => {
      expect(await codeOf(fs.writeFile(`/${'n'.repeat(256)}`, 'x'))).toBe('ENAMETOOLONG');
      expect(await codeOf(fs.mkdir(`/${'d'.repeat(256)}`))).toBe('ENAMETOOLONG');
      // Multi-byte characters count in bytes: 128 × 2 bytes = 256 bytes.
      expect(await codeOf(fs.writeFile(`/${'é'.repeat(128)}`, 'x'))).toBe('ENAMETOOLONG');
      const ok = `/${'n'.repeat(255)}`;
      await fs.writeFile(ok, 'fits');
      expect(await fs.readFile(ok, 'utf8')).toBe('fits');
      expect(await fs.readdir('/')).toContain('n'.repeat(255));
    });

    it('a path over 4096 bytes is ENAMETOOLONG', async () => {
      const long = `/${Array.from({ length: 21 }, () => 'p'.repeat(200)).join('/')}`;
      expect(Buffer.byteLength(long)).toBeGreaterThan(4096);
      expect(await codeOf(fs.mkdir(long, { recursive: true }))).toBe('ENAMETOOLONG');
      expect(await codeOf(fs.stat(long))).toBe('ENAMETOOLONG');
    });

    it('a NUL byte is EINVAL', async () => {
      expect(await codeOf(fs.writeFile('/nul\0byte', 'x'))).toBe('EINVAL');
      expect(await codeOf(fs.stat('/nul\0'))).toBe('EINVAL');
      expect(await fs.exists('/nul')).toBe(false);
    });

    it("'.' and '..' components are EINVAL", async () => {
      await fs.mkdir('/a/b', { recursive: true });
      expect(await codeOf(fs.stat('/a/./b'))).toBe('EINVAL');
      expect(await codeOf(fs.stat('/a/../b'))).toBe('EINVAL');
      expect(await codeOf(fs.mkdir('/a/../c'))).toBe('EINVAL');
      expect(await fs.exists('/c')).toBe(false);
    });
  });

  describe('bad arguments are refused with EINVAL (or EFBIG)', () => {
    it('a negative position on handle.read and handle.write is EINVAL', async () => {
      await fs.writeFile('/positions', 'hello world');
      const handle = await fs.open('/positions', 'r+');
      try {
        expect(await codeOf(handle.read(Buffer.alloc(4), 0, 4, -1))).toBe('EINVAL');
        expect(await codeOf(handle.write(Buffer.from('xx'), 0, 2, -5))).toBe('EINVAL');
      } finally {
        await handle.close();
      }
      expect(await fs.readFile('/positions', 'utf8')).toBe('hello world');
    });

    it('a negative truncate length is EINVAL', async () => {
      await fs.writeFile('/trunc-neg', 'abc');
      expect(await codeOf(fs.truncate('/trunc-neg', -1))).toBe('EINVAL');
      expect(await fs.readFile('/trunc-neg', 'utf8')).toBe('abc');
    });

    it('truncating to 2**60 bytes is refused and the cluster still works', async () => {
      await fs.writeFile('/trunc-huge', 'abc');
      expect(['EFBIG', 'EINVAL']).toContain(await codeOf(fs.truncate('/trunc-huge', 2 ** 60)));
      expect((await fs.stat('/trunc-huge')).size).toBe(3);
      await fs.writeFile('/after-huge', 'still fine');
      expect(await fs.readFile('/after-huge', 'utf8')).toBe('still fine');
    });

    it('setReplication to 0 or 100 is EINVAL', async () => {
      await fs.writeFile('/rep', 'x');
      expect(await codeOf(fs.setReplication('/rep', 0))).toBe('EINVAL');
      expect(await codeOf(fs.setReplication('/rep', 100))).toBe('EINVAL');
      expect((await fs.stat('/rep')).replication).toBe(3);
    });

    it("open with flags 'bogus' is EINVAL", async () => {
      await fs.writeFile('/flags', 'x');
      expect(await codeOf(fs.open('/flags', 'bogus'))).toBe('EINVAL');
    });
  });

  describe('POSIX codes come through end to end', () => {
    it('a missing file or directory is ENOENT', async () => {
      expect(await codeOf(fs.stat('/missing'))).toBe('ENOENT');
      expect(await codeOf(fs.readFile('/missing'))).toBe('ENOENT');
      expect(await codeOf(fs.unlink('/missing'))).toBe('ENOENT');
      expect(await codeOf(fs.writeFile('/missing-dir/file', 'x'))).toBe('ENOENT');
      const err = await fs.stat('/missing').catch((e: unknown) => e as Error & { path?: string });
      expect(err).toMatchObject({ code: 'ENOENT', path: '/missing' });
      expect((err as Error).message).toContain('/missing');
    });

    it("mkdir of an existing directory and open 'wx' of an existing file are EEXIST", async () => {
      await fs.mkdir('/exists-dir');
      expect(await codeOf(fs.mkdir('/exists-dir'))).toBe('EEXIST');
      await fs.writeFile('/exists-file', 'keep me');
      expect(await codeOf(fs.open('/exists-file', 'wx'))).toBe('EEXIST');
      expect(await codeOf(fs.writeFile('/exists-file', 'clobber', { flag: 'wx' }))).toBe('EEXIST');
      expect(await fs.readFile('/exists-file', 'utf8')).toBe('keep me');
    });

    it('mkdir under a file is ENOTDIR', async () => {
      await fs.writeFile('/plain', 'x');
      expect(await codeOf(fs.mkdir('/plain/sub'))).toBe('ENOTDIR');
      expect(await codeOf(fs.writeFile('/plain/sub', 'x'))).toBe('ENOTDIR');
    });

    it('opening a directory for writing and unlinking a directory are EISDIR', async () => {
      await fs.mkdir('/a-dir');
      expect(await codeOf(fs.open('/a-dir', 'w'))).toBe('EISDIR');
      expect(await codeOf(fs.open('/a-dir', 'r+'))).toBe('EISDIR');
      expect(await codeOf(fs.unlink('/a-dir'))).toBe('EISDIR');
      expect((await fs.stat('/a-dir')).isDirectory()).toBe(true);
    });

    it('rmdir of a non-empty directory is ENOTEMPTY', async () => {
      await fs.mkdir('/full');
      await fs.writeFile('/full/f', 'x');
      expect(await codeOf(fs.rmdir('/full'))).toBe('ENOTEMPTY');
      expect(await fs.readFile('/full/f', 'utf8')).toBe('x');
    });

    it('a non-root client cannot create in a 0755 root-owned directory nor read a 0600 root-owned file (EACCES)', async () => {
      await fs.writeFile('/root-only', 'secret', { mode: 0o600 });
      expect((await fs.stat('/')).mode & 0o777).toBe(0o755);
      expect((await fs.stat('/root-only')).mode & 0o777).toBe(0o600);
      const user = cluster.client({ uid: 1000, gid: 1000 });
      expect(await codeOf(user.writeFile('/by-user', 'x'))).toBe('EACCES');
      expect(await codeOf(user.mkdir('/user-dir'))).toBe('EACCES');
      expect(await codeOf(user.readFile('/root-only'))).toBe('EACCES');
      expect(await fs.exists('/by-user')).toBe(false);
      // What the mode allows still works for that user.
      await fs.writeFile('/world-readable', 'public', { mode: 0o644 });
      expect(await user.readFile('/world-readable', 'utf8')).toBe('public');
      // A file created with the default mode is 0644 (umask 022, as node:fs): others may read it, not write it.
      await fs.writeFile('/default-mode', 'default');
      expect((await fs.stat('/default-mode')).mode & 0o777).toBe(0o644);
      expect(await user.readFile('/default-mode', 'utf8')).toBe('default');
      expect(await codeOf(user.open('/default-mode', 'r+'))).toBe('EACCES');
      expect(await codeOf(user.writeFile('/default-mode', 'clobbered'))).toBe('EACCES');
      expect(await fs.readFile('/default-mode', 'utf8')).toBe('default');
    });

    it('a second client opening a file for writing while the first holds it gets EBUSY', async () => {
      const first = cluster.client();
      const second = cluster.client();
      const handle = await first.open('/contended', 'w');
      try {
        await handle.write(Buffer.from('first'));
        expect(await codeOf(second.open('/contended', 'r+'))).toBe('EBUSY');
        expect(await codeOf(second.open('/contended', 'w'))).toBe('EBUSY');
        expect(await codeOf(second.writeFile('/contended', 'second'))).toBe('EBUSY');
        // Readers are not blocked by a writer.
        const reader = await second.open('/contended', 'r');
        await reader.close();
      } finally {
        await handle.close();
      }
      // Once the first closes, the second may write.
      await second.writeFile('/contended', 'second');
      expect(await fs.readFile('/contended', 'utf8')).toBe('second');
    });

    it('rename onto an existing file replaces it atomically', async () => {
      const oldTarget = pseudoRandomBytes(3 * 1024 * 1024 + 17, 5);
      const source = pseudoRandomBytes(1024 * 1024 + 3, 6);
      await fs.writeFile('/rename-target', oldTarget);
      await fs.writeFile('/rename-source', source);
      const sourceIno = (await fs.stat('/rename-source')).ino;
      await fs.rename('/rename-source', '/rename-target');
      const back = await fs.readFile('/rename-target');
      expect(back.length).toBe(source.length);
      expect(back.equals(source)).toBe(true);
      expect((await fs.stat('/rename-target')).ino).toBe(sourceIno);
      expect(await fs.exists('/rename-source')).toBe(false);
      expect(await codeOf(fs.stat('/rename-source'))).toBe('ENOENT');
    });
  });

  it('after all of these the cluster still serves reads and writes and every datanode is live', async () => {
    const data = pseudoRandomBytes(2 * 1024 * 1024 + 99, 11);
    await fs.writeFile('/final-check', data);
    expect((await fs.readFile('/final-check')).equals(data)).toBe(true);
    const report = await fs.report();
    expect(report.datanodes).toHaveLength(3);
    expect(report.datanodes.map((dn) => dn.state)).toEqual(['live', 'live', 'live']);
  });
});

describe('lease expiry', () => {
  const leaseMs = 1500;
  let cluster: MiniCluster;
  let writer: ChildProcess | undefined;

  beforeAll(async () => {
    cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 1024 * 1024, leaseMs });
  });
  afterAll(async () => {
    if (writer !== undefined && writer.exitCode === null && writer.signalCode === null) writer.kill('SIGKILL');
    await cluster?.stop();
  });

  it('a writer process that is killed loses its lease once it expires, and another client can then write', async () => {
    // The writer keeps its lease warm with a synced write every 100 ms (every commit renews the
    // lease; the SDK's own renewal timer runs every 5 s, longer than this 1.5 s lease), so while
    // it lives nobody else may write; once it is SIGKILLed the lease must run out.
    const script = `
      import { CairnClient } from ${JSON.stringify(sdkUrl)};
      const fs = new CairnClient({ namenode: process.env.NN, secret: process.env.SECRET, uid: 0, gid: 0 });
      const h = await fs.open('/leased', 'w');
      await h.write(Buffer.from('committed by the dead writer'));
      await h.sync();
      process.stdout.write('ready\\n');
      for (;;) {
        await h.write(Buffer.from('.'));
        await h.sync();
        await new Promise((r) => setTimeout(r, 100));
      }
    `;
    writer = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NN: cluster.namenodeAddress, SECRET: cluster.secret },
    });
    const stderr: string[] = [];
    writer.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    const lines = createInterface({ input: writer.stdout as NodeJS.ReadableStream });
    let ready = false;
    lines.on('line', (line) => {
      if (line === 'ready') ready = true;
    });
    await waitFor(() => ready || writer?.exitCode !== null, 30_000, 'the writer process to print ready');
    expect(ready, `writer exited early: ${stderr.join('')}`).toBe(true);

    const other = cluster.client();
    // While the writer lives, its lease stands.
    expect(await codeOf(other.open('/leased', 'r+'))).toBe('EBUSY');

    const exited = once(writer, 'exit');
    writer.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    // Right after the kill the lease has not run out yet.
    const first = await other.open('/leased', 'r+').then(
      async (h) => {
        await h.close();
        return 'opened';
      },
      (err: { code?: string }) => err.code,
    );
    if (Date.now() - killedAt < leaseMs / 2) expect(first).toBe('EBUSY');

    // Then, within a deadline, the lease expires and the file can be opened for writing.
    let handle: Awaited<ReturnType<CairnClient['open']>> | undefined;
    await waitFor(
      async () => {
        try {
          handle = await other.open('/leased', 'r+');
          return true;
        } catch (err) {
          if ((err as { code?: string }).code !== 'EBUSY') throw err;
          return false;
        }
      },
      leaseMs + 10_000,
      'the dead writer lease to expire',
    );
    expect(Date.now() - killedAt).toBeLessThan(leaseMs + 10_000);
    const h = handle as NonNullable<typeof handle>;
    await h.write(Buffer.from('TAKEN'), 0, 5, 0);
    await h.close();
    const text = await other.readFile('/leased', 'utf8');
    // What the dead writer committed is kept, with the new writer's bytes on top.
    expect(text.slice(0, 'TAKENtted by the dead writer'.length)).toBe('TAKENtted by the dead writer');
    expect(text.slice('TAKENtted by the dead writer'.length)).toMatch(/^\.*$/);
  });
});
