// Closes a mount answers once their commit is written to the namenode's connection
// (client/fuse/early-closes.ts), with real mount processes: what a close returned is what another
// mount reads, with the attributes set through the descriptor; this mount's own next calls (a
// rename, a stat) come after the commit; a commit the namenode may refuse (another client took the
// lease) is waited for and reported; and a namenode SIGKILLed with a commit unread, or while
// closes are answered ahead, has every byte of every file whose close returned, once it is back.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fsp from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { aheadSetupOfFile } from '../helpers/ahead-setup.js';
import { waitFor } from '../helpers/mini-cluster.js';
import { codeOf, fuseUnavailable, Mount } from '../helpers/mount.js';

const skip = fuseUnavailable();
/** Mounts `a` and `b` of one cluster; closes `a` answered ahead, and those whose call then failed, from its debug log. */
const ahead = aheadSetupOfFile('close answered ahead of its commit', 'a close answered ahead of its commit did not go through');

/** Contents of the `i`th file of a test: its number, then bytes that differ from file to file. */
function contents(i: number): Buffer {
  const body = Buffer.alloc(3000 + (i % 7) * 1000, i % 251);
  body.write(`file ${i}\n`);
  return body;
}

describe.skipIf(skip !== undefined)('closes answered ahead of the commit', () => {
  it('what a close returned is what another mount reads, with the attributes set through the descriptor', async () => {
    await fsp.mkdir(ahead.a.p('written'));
    const before = ahead.answeredAhead();
    const mtime = new Date('2020-02-02T02:02:02Z');
    for (let i = 0; i < 40; i++) {
      // tar's way: write, then owner, mode and times through the descriptor, then close.
      const handle = await fsp.open(ahead.a.p('written', `f${i}`), 'wx');
      await handle.write(contents(i));
      await handle.chmod(0o640);
      await handle.utimes(mtime, mtime);
      await handle.close();
    }
    // Created under the directory's grant (all but the first, whose create asked for it), each
    // commit was vouched for: nobody else could reach the file before it landed. The other
    // mount's first look waits the grant out, so it reads every file as its close left it.
    await waitFor(() => ahead.answeredAhead() - before >= 39, 10_000, 'closes answered ahead (debug log)');
    for (let i = 39; i >= 0; i--) {
      expect((await fsp.readFile(ahead.b.p('written', `f${i}`))).equals(contents(i)), `f${i}`).toBe(true);
      const s = await fsp.stat(ahead.b.p('written', `f${i}`));
      expect([s.size, s.mode & 0o7777, s.mtimeMs]).toEqual([contents(i).length, 0o640, mtime.getTime()]);
    }
    expect(ahead.failedAhead()).toBe(0);
  });

  it("the mount's own next calls come after the commit: a rename, a stat, a read", async () => {
    await fsp.mkdir(ahead.a.p('renamed'));
    const before = ahead.answeredAhead();
    for (let i = 0; i < 40; i++) {
      // git's way with a new object: a temporary file written and closed, then moved into place.
      await fsp.writeFile(ahead.a.p('renamed', `tmp${i}`), contents(i), { flag: 'wx' });
      await fsp.rename(ahead.a.p('renamed', `tmp${i}`), ahead.a.p('renamed', `obj${i}`));
      expect((await fsp.stat(ahead.a.p('renamed', `obj${i}`))).size).toBe(contents(i).length);
    }
    await waitFor(() => ahead.answeredAhead() - before >= 39, 10_000, 'closes answered ahead (debug log)'); // the first create may ask for the grant
    expect((await ahead.cluster.client().readdir('/renamed')).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `obj${i}`).sort());
    for (let i = 0; i < 40; i++) expect((await fsp.readFile(ahead.b.p('renamed', `obj${i}`))).equals(contents(i)), `obj${i}`).toBe(true);
    expect(ahead.failedAhead()).toBe(0);
  });

  it('a file another client opened for writing meanwhile: the close waits for its commit, and reports the refusal', async () => {
    await fsp.mkdir(ahead.a.p('raced'));
    await fsp.writeFile(ahead.a.p('raced', 'first'), 'x', { flag: 'wx' }); // asks for the directory's grant
    const creator = await fsp.open(ahead.a.p('raced', 'f'), 'wx'); // created ahead, under the grant
    await creator.write('creator'); // held for the close: no lease yet
    // The other mount waits the grant out, then takes the lease: this mount can no longer vouch
    // that nobody else reached the file, so its commit is not answered before the namenode's
    // refusal comes back.
    const taker = await fsp.open(ahead.b.p('raced', 'f'), 'r+');
    expect(await codeOf(creator.close())).toBe('EBUSY');
    await taker.write('taker');
    await taker.close();
    expect(await fsp.readFile(ahead.a.p('raced', 'f'), 'utf8')).toBe('taker');
  });

  it('a close answered while its commit waits in a stopped namenode, then SIGKILLed: the bytes are there after the restart', async () => {
    await fsp.mkdir(ahead.a.p('stopped'));
    const handle = await fsp.open(ahead.a.p('stopped', 'f'), 'wx');
    await handle.write('an older version');
    // The fsync's commit keeps the lease and brings the chunk's next version: the write after it
    // needs no namenode call, and the namenode cannot refuse its commit.
    await handle.sync();
    await handle.write(contents(1), 0, contents(1).length, 0);
    const pid = ahead.cluster.namenodePid as number;
    const before = ahead.answeredAhead();
    process.kill(pid, 'SIGSTOP');
    try {
      await handle.close(); // answered by the mount once the commit is in the namenode's socket
      await waitFor(() => ahead.answeredAhead() - before === 1, 10_000, 'the close answered ahead (debug log)');
    } finally {
      await ahead.cluster.killNamenode('SIGKILL'); // stopped, it dies with the commit unread
    }
    await ahead.cluster.startNamenode();
    // The mount sends the bytes again on a new version and commits them.
    const client = ahead.cluster.client();
    await waitFor(async () => (await client.lstat('/stopped/f')).size === contents(1).length, 30_000, 'the commit at the restarted namenode');
    expect((await client.readFile('/stopped/f')).equals(contents(1))).toBe(true);
    expect((await fsp.readFile(ahead.b.p('stopped', 'f'))).equals(contents(1))).toBe(true);
    expect(ahead.failedAhead()).toBe(0);
  });

  it("a close answered ahead whose namenode stays down past the mount's timeout: the commit lands once it is back", async () => {
    const quick = await Mount.start(ahead.cluster, { timeoutMs: 3000, logLevel: 'debug' });
    try {
      await fsp.mkdir(quick.p('down-long'));
      const handle = await fsp.open(quick.p('down-long', 'f'), 'wx');
      await handle.write('an older version');
      await handle.sync(); // the lease kept and the next version prepared: a commit the namenode cannot refuse
      await handle.write(contents(2), 0, contents(2).length, 0);
      process.kill(ahead.cluster.namenodePid as number, 'SIGSTOP');
      try {
        await handle.close(); // answered once the commit is in the stopped namenode's socket
        await waitFor(() => quick.logs().includes('close answered ahead of its commit'), 10_000, 'the close answered ahead (debug log)');
      } finally {
        await ahead.cluster.killNamenode('SIGKILL');
      }
      // A call through the mount fails at the mount's timeout: the namenode has been gone longer
      // than that since the close was answered, and the commit still waits for it.
      expect(await codeOf(fsp.statfs(quick.p()))).toBe('EIO');
      await ahead.cluster.startNamenode();
      const client = ahead.cluster.client();
      await waitFor(async () => (await client.lstat('/down-long/f')).size === contents(2).length, 30_000, 'the commit at the restarted namenode');
      expect((await client.readFile('/down-long/f')).equals(contents(2))).toBe(true);
      expect(quick.logs()).not.toContain('did not go through');
    } finally {
      await quick.stop();
    }
  });

  it('a namenode SIGKILLed while closes are answered ahead has every byte of every file whose close returned, once back', async () => {
    await fsp.mkdir(ahead.a.p('outage'));
    const before = ahead.answeredAhead();
    // The files are written by a process of their own: one holding a descriptor on the mount
    // here when the namenode is spawned would have it closed in the forked child at its exec, a
    // FLUSH waiting for that very namenode (docs/FUSE.md, "Known limits").
    const script = `
      import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fsp from 'node:fs/promises';
import { createInterface } from 'node:readline';
      const [dir] = process.argv.slice(1);
      let stop = false;
      process.stdin.on('data', () => (stop = true));
      for (let i = 0; !stop && i < 2000; i++) {
        const body = Buffer.alloc(3000 + (i % 7) * 1000, i % 251);
        body.write('file ' + i + '\\n');
        // A close that waits for its commit may fail while the namenode is down (EIO): not acknowledged.
        if (await fsp.writeFile(dir + '/f' + i, body, { flag: 'wx' }).then(() => true, () => false)) console.log(i);
      }
      process.exit(0);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, ahead.a.p('outage')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const closed: number[] = [];
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => closed.push(Number(line)));
    const exited = once(child, 'exit');
    try {
      await waitFor(() => ahead.answeredAhead() - before >= 30, 20_000, 'closes answered ahead (debug log)');
      await ahead.cluster.killNamenode('SIGKILL');
      await ahead.cluster.startNamenode();
      const atRestart = closed.length;
      await waitFor(() => closed.length >= atRestart + 30, 60_000, 'closes after the restart');
    } finally {
      child.stdin?.write('stop\n');
      await exited;
    }
    expect(closed.length).toBeGreaterThan(60);
    const client = ahead.cluster.client();
    for (const i of closed) expect((await client.readFile(`/outage/f${i}`)).equals(contents(i)), `f${i}`).toBe(true);
    expect(ahead.failedAhead()).toBe(0);
  });
});
