// The real `cairn` binary against a real cluster: every user command does what it says and
// prints what scripts can rely on (JSON where asked, one stderr line per error, nothing on
// stderr when stderr is not a terminal), and `cairn cluster` starts and stops a whole cluster.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fse from 'fs-extra';
import { cliPath, MiniCluster, waitFor } from '../helpers/mini-cluster.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import { CairnClient } from '../../client/sdk/client.js';
import { fuseUnavailable } from '../helpers/mount.js';
import { isMounted, unmountLazy } from '../../client/fuse/device.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `cairn ARGS` to completion; never rejects on a non-zero exit. */
function cairn(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [cliPath, ...args],
      { env: { ...process.env, ...env }, cwd, timeout: 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number' && err.signal == null) return reject(err);
        resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr });
      },
    );
  });
}

describe('cairn user commands', () => {
  let cluster: MiniCluster;
  let tmp: string;
  let env: Record<string, string>;
  /** Runs a command that must succeed, returning its stdout. */
  const ok = async (...args: string[]): Promise<string> => {
    const run = await cairn(args, env);
    expect(run.stderr, `cairn ${args.join(' ')} printed on stderr`).toBe('');
    expect(run.code, `cairn ${args.join(' ')} exit code`).toBe(0);
    return run.stdout;
  };

  beforeAll(async () => {
    cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 1024 * 1024 });
    tmp = await fse.mkdtemp(path.join(os.tmpdir(), 'cairn-cli-'));
    env = { CAIRN_NAMENODE: cluster.namenodeAddress, CAIRN_SECRET: cluster.secret, CAIRN_LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await cluster?.stop();
    if (tmp !== undefined) await fse.remove(tmp);
  });

  it('put then get gives back a byte-identical file, printing nothing on stderr when it is not a terminal', async () => {
    const data = pseudoRandomBytes(2.5 * 1024 * 1024, 1234);
    const local = path.join(tmp, 'random.bin');
    await fse.writeFile(local, data);
    const put = await cairn(['put', local, '/random.bin'], env);
    expect(put).toMatchObject({ code: 0, stderr: '', stdout: '' });
    const back = path.join(tmp, 'random.back');
    const get = await cairn(['get', '/random.bin', back], env);
    expect(get).toMatchObject({ code: 0, stderr: '', stdout: '' });
    const got = await fse.readFile(back);
    expect(got.length).toBe(data.length);
    expect(sha256(got)).toBe(sha256(data));
    // cat streams the same bytes to stdout.
    const cat = await new Promise<Buffer>((resolve, reject) => {
      execFile(process.execPath, [cliPath, 'cat', '/random.bin'], { env: { ...process.env, ...env }, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout) =>
        err !== null ? reject(err) : resolve(stdout),
      );
    });
    expect(sha256(cat)).toBe(sha256(data));
  });

  it('put with --secret-file and --namenode instead of the environment works too', async () => {
    const local = path.join(tmp, 'small.txt');
    await fse.writeFile(local, 'by flags');
    const run = await cairn(['put', local, '/by-flags.txt', '--namenode', cluster.namenodeAddress, '--secret-file', cluster.secretFile], { CAIRN_SECRET: '', CAIRN_NAMENODE: '' });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(await cluster.client().readFile('/by-flags.txt', 'utf8')).toBe('by flags');
  });

  it('put --replication 2 makes a file that stat shows with replication 2', async () => {
    const local = path.join(tmp, 'rep2.bin');
    await fse.writeFile(local, pseudoRandomBytes(1500 * 1024, 2));
    await ok('put', local, '/rep2.bin', '--replication', '2');
    const stat = JSON.parse(await ok('stat', '/rep2.bin')) as Record<string, unknown>;
    expect(stat).toMatchObject({ path: '/rep2.bin', type: 'file', size: 1500 * 1024, replication: 2 });
    const locations = await cluster.client().getChunkLocations('/rep2.bin');
    expect(locations).toHaveLength(2);
    for (const loc of locations) expect(loc.datanodes).toHaveLength(2);
  });

  it('mkdir -p creates parents, ls lists names, ls -l lists modes, sizes and names', async () => {
    await ok('mkdir', '-p', '/deep/er/est');
    expect((await cluster.client().stat('/deep/er/est')).isDirectory()).toBe(true);
    const local = path.join(tmp, 'hello.txt');
    await fse.writeFile(local, 'hello');
    await ok('put', local, '/deep/hello.txt');
    expect((await ok('ls', '/deep')).split('\n').filter(Boolean).sort()).toEqual(['er', 'hello.txt']);
    const long = (await ok('ls', '-l', '/deep')).split('\n').filter(Boolean);
    expect(long).toHaveLength(2);
    const dirLine = long.find((l) => l.endsWith(' er'));
    const fileLine = long.find((l) => l.endsWith(' hello.txt'));
    expect(dirLine).toMatch(/^drwxr-xr-x \d+ 0 0 \d+ \S+ er$/);
    expect(fileLine).toMatch(/^-rw-r--r-- 1 0 0 5 \d{4}-\d\d-\d\dT\S+Z hello\.txt$/);
    // mkdir without -p under a missing parent fails.
    const run = await cairn(['mkdir', '/nope-parent/child'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ENOENT');
  });

  it('mv renames a file, and moves it into a directory', async () => {
    const local = path.join(tmp, 'mv.txt');
    await fse.writeFile(local, 'moving');
    await ok('put', local, '/mv-src.txt');
    await ok('mv', '/mv-src.txt', '/mv-dst.txt');
    const fs = cluster.client();
    expect(await fs.exists('/mv-src.txt')).toBe(false);
    expect(await fs.readFile('/mv-dst.txt', 'utf8')).toBe('moving');
    await ok('mkdir', '/mv-dir');
    await ok('mv', '/mv-dst.txt', '/mv-dir');
    expect(await fs.readFile('/mv-dir/mv-dst.txt', 'utf8')).toBe('moving');
  });

  it('rm removes a file, refuses a directory without -r, and rm -r removes a tree', async () => {
    const fs = cluster.client();
    await fs.writeFile('/rm-me', 'x');
    await ok('rm', '/rm-me');
    expect(await fs.exists('/rm-me')).toBe(false);
    await fs.mkdir('/tree/a/b', { recursive: true });
    await fs.writeFile('/tree/a/b/f', 'x');
    await fs.writeFile('/tree/g', 'y');
    const refused = await cairn(['rm', '/tree'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('EISDIR');
    expect(await fs.exists('/tree/a/b/f')).toBe(true);
    await ok('rm', '-r', '/tree');
    expect(await fs.exists('/tree')).toBe(false);
  });

  it('stat prints one JSON object describing the file', async () => {
    const fs = cluster.client();
    await fs.writeFile('/stat-me', 'twelve bytes', { mode: 0o640 });
    const out = await ok('stat', '/stat-me');
    expect(out.endsWith('\n')).toBe(true);
    expect(out.trim().split('\n')).toHaveLength(1);
    const stat = JSON.parse(out) as Record<string, unknown>;
    expect(stat).toMatchObject({ path: '/stat-me', type: 'file', size: 12, mode: '640', uid: 0, gid: 0, nlink: 1, replication: 3 });
    expect(stat.inode).toBe((await fs.stat('/stat-me')).ino);
    expect(new Date(stat.mtime as string).getTime()).not.toBeNaN();
    expect(JSON.parse(await ok('stat', '/'))).toMatchObject({ path: '/', type: 'directory' });
  });

  it('setrep 1 changes the replication that stat shows', async () => {
    await cluster.client().writeFile('/setrep-me', pseudoRandomBytes(1000, 8));
    expect(JSON.parse(await ok('stat', '/setrep-me'))).toMatchObject({ replication: 3 });
    expect(await ok('setrep', '1', '/setrep-me')).toBe('');
    expect(JSON.parse(await ok('stat', '/setrep-me'))).toMatchObject({ replication: 1 });
    const bad = await cairn(['setrep', '0', '/setrep-me'], env);
    expect(bad.code).toBe(2);
  });

  it('locations lists one line per chunk with 3 datanode addresses each', async () => {
    await cluster.client().writeFile('/located', pseudoRandomBytes(2 * 1024 * 1024 + 5, 9));
    const lines = (await ok('locations', '/located')).split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    const addresses = new Set((await cluster.client().report()).datanodes.map((dn) => dn.address));
    for (const [i, line] of lines.entries()) {
      const match = /^(\d+)\+(\d+) chunk \d+ gen \d+: (.+)$/.exec(line);
      expect(match, line).not.toBeNull();
      expect(Number(match?.[1])).toBe(i * 1024 * 1024);
      const listed = (match?.[3] ?? '').split(' ');
      expect(listed).toHaveLength(3);
      expect(new Set(listed).size).toBe(3);
      for (const address of listed) expect(addresses.has(address)).toBe(true);
    }
    expect(lines[2]).toMatch(/^2097152\+5 /);
  });

  it('fsck / --json prints one healthy JSON summary', async () => {
    const out = await ok('fsck', '/', '--json');
    expect(out.trim().split('\n')).toHaveLength(1);
    const summary = JSON.parse(out) as Record<string, unknown>;
    for (const key of ['files', 'chunks', 'underReplicated', 'missing', 'corrupt', 'healthy']) expect(summary).toHaveProperty(key);
    expect(summary).toMatchObject({ healthy: true, missing: 0, corrupt: 0 });
    expect(summary.files as number).toBeGreaterThan(0);
    expect(summary.chunks as number).toBeGreaterThan(0);
  });

  it('report --json lists the 3 live datanodes with their numbers', async () => {
    const out = await ok('report', '--json');
    expect(out.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(out) as { datanodes: Array<Record<string, unknown>> };
    expect(report.datanodes).toHaveLength(3);
    for (const dn of report.datanodes) {
      expect(dn).toMatchObject({ id: expect.any(String), address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), state: 'live' });
      expect(dn.capacityBytes as number).toBeGreaterThan(0);
      expect(typeof dn.usedBytes).toBe('number');
      expect(typeof dn.chunks).toBe('number');
    }
    expect(report.datanodes.reduce((sum, dn) => sum + (dn.chunks as number), 0)).toBeGreaterThan(0);
  });

  it('cat of a missing file exits non-zero with exactly one stderr line naming the path and ENOENT', async () => {
    const run = await cairn(['cat', '/nope'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter(Boolean);
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toContain('/nope');
    expect(lines[0]).toContain('ENOENT');
  });

  it('cat into a pipe its reader closes early stops quietly with the status of SIGPIPE (141), as cat(1)', async () => {
    await fse.writeFile(path.join(tmp, 'long.bin'), pseudoRandomBytes(4 * 1024 * 1024, 9));
    await ok('put', path.join(tmp, 'long.bin'), '/long.bin');
    const child = spawn(process.execPath, [cliPath, 'cat', '/long.bin'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: Buffer[] = [];
    child.stderr.on('data', (piece: Buffer) => stderr.push(piece));
    // Read the first bytes, then close the pipe, as `head -c 10` does.
    await once(child.stdout, 'readable');
    child.stdout.destroy();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(141);
    expect(Buffer.concat(stderr).toString()).toBe('');
  });

  it('an unknown command exits 2 with a usage message', async () => {
    const run = await cairn(['frobnicate'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('frobnicate');
    expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('a wrong secret exits 1 with one EAUTH line', async () => {
    const run = await cairn(['ls', '/'], { ...env, CAIRN_SECRET: 'wrong' });
    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n').filter(Boolean);
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toContain('EAUTH');
  });

  it('a namenode that is not there: exit 1 with one ECONNREFUSED line, after waiting seconds for a restart (not the 30 s deadline)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const started = Date.now();
    const run = await cairn(['ls', '/'], { ...env, CAIRN_NAMENODE: `127.0.0.1:${port}` });
    const tookMs = Date.now() - started;
    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n').filter(Boolean);
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toContain('ECONNREFUSED');
    expect(lines[0]).not.toContain('Resolution note');
    expect(tookMs).toBeGreaterThanOrEqual(3500);
    expect(tookMs).toBeLessThan(15_000);
  });
});

describe('cairn cluster', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    dir = await fse.mkdtemp(path.join(os.tmpdir(), 'cairn-cluster-'));
  });
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    // Any server the cluster left behind is ours to end (they all name our temporary dir), and a
    // mount it left, dead or alive, ours to let go of.
    for (const pid of await pidsMentioning(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (dir !== undefined && (await isMounted(path.join(dir, 'restarts-mnt')))) await unmountLazy(path.join(dir, 'restarts-mnt'));
    if (dir !== undefined) await fse.remove(dir);
  });

  /** Starts `cairn cluster` on `data` (with `extra` arguments) and waits for its one line. */
  async function startCluster(data: string, extra: string[] = []): Promise<{ address: string; stdout: string[]; stderr: string[] }> {
    child = spawn(process.execPath, [cliPath, 'cluster', '--data', data, '--port', '0', '--chunk-size', '1048576', '--heartbeat-ms', '200', ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dir,
      env: { ...process.env, CAIRN_LOG_LEVEL: 'warn' },
    });
    const stdout: string[] = [];
    const stderr: string[] = [];
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => stdout.push(line));
    child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    await waitFor(() => stdout.length > 0 || child?.exitCode !== null, 60_000, 'cairn cluster to print its address');
    expect(stdout, stderr.join('')).toHaveLength(1);
    const line = stdout[0] as string;
    expect(line).toMatch(/^namenode 127\.0\.0\.1:\d+$/);
    return { address: line.split(' ')[1] as string, stdout, stderr };
  }

  /** Stops the cluster with SIGTERM: exit code 0, and no server of `data` left. */
  async function stopCluster(data: string): Promise<void> {
    if (child === undefined) return;
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(await pidsMentioning(data)).toEqual([]);
  }

  it('prints one namenode line once datanodes registered, serves clients, and stops every child on SIGTERM', async () => {
    const data = path.join(dir, 'data');
    const { address, stdout } = await startCluster(data);

    // Every datanode has registered by the time the line is printed.
    const secret = (await fse.readFile(path.join(data, 'secret'), 'utf8')).trim();
    const client = new CairnClient({ namenode: address, secret, uid: 0, gid: 0, deadlineMs: 15_000 });
    try {
      const report = await client.report();
      expect(report.datanodes.filter((dn) => dn.state === 'live')).toHaveLength(3);
      const bytes = pseudoRandomBytes(1024 * 1024 + 4321, 77);
      await client.writeFile('/through-cluster', bytes);
      expect((await client.readFile('/through-cluster')).equals(bytes)).toBe(true);
      expect((await client.getChunkLocations('/through-cluster')).every((loc) => loc.datanodes.length === 3)).toBe(true);
    } finally {
      await client.close();
    }

    // The CLI finds the secret in ./data/secret when run from the directory holding it.
    const ls = await cairn(['ls', '/'], { CAIRN_NAMENODE: address, CAIRN_SECRET: '' }, dir);
    expect(ls).toMatchObject({ code: 0, stdout: 'through-cluster\n' });

    const servers = (await pidsMentioning(data)).filter((pid) => pid !== child?.pid);
    expect(servers.length).toBe(4); // one namenode and three datanodes
    await stopCluster(data);
    // No more output on stdout than the one line.
    expect(stdout).toHaveLength(1);
    // Every server child is gone (the cluster waits for them before it exits).
    for (const pid of servers) expect(alive(pid), `server ${pid} still running`).toBe(false);
  });

  it('starts a server killed with SIGKILL again: the namenode on its port with every acknowledged file, a datanode, and the mount', async () => {
    const data = path.join(dir, 'restarts');
    const mountDir = path.join(dir, 'restarts-mnt');
    const withMount = fuseUnavailable() === undefined;
    const { address, stderr } = await startCluster(data, withMount ? ['--mount', mountDir] : []);
    const secret = (await fse.readFile(path.join(data, 'secret'), 'utf8')).trim();
    const client = new CairnClient({ namenode: address, secret, uid: 0, gid: 0, deadlineMs: 30_000 });
    const onlyPid = async (text: string): Promise<number> => {
      const pids = await pidsMentioning(text);
      expect(pids, text).toHaveLength(1);
      return pids[0] as number;
    };
    const restarted = async (text: string, old: number): Promise<number> => {
      let pid = old;
      await waitFor(async () => ((pid = (await pidsMentioning(text))[0] ?? old) !== old), 30_000, `${text} started again`);
      return pid;
    };
    try {
      const bytes = pseudoRandomBytes(1024 * 1024 + 77, 78);
      await client.writeFile('/before', bytes);

      // The namenode: back on the same address, with the file, and the same client goes on.
      const namenodeDir = path.join(data, 'namenode');
      const namenode = await onlyPid(namenodeDir);
      process.kill(namenode, 'SIGKILL');
      await restarted(namenodeDir, namenode);
      expect((await client.readFile('/before')).equals(bytes)).toBe(true);
      await client.writeFile('/after', 'after the restart');
      expect(await client.readFile('/after', 'utf8')).toBe('after the restart');

      // A datanode: started again, it registers again, and all three are live.
      const datanodeDir = path.join(data, 'datanode-2');
      const datanode = await onlyPid(datanodeDir);
      process.kill(datanode, 'SIGKILL');
      await restarted(datanodeDir, datanode);
      await waitFor(async () => (await client.report()).datanodes.filter((dn) => dn.state === 'live').length === 3, 30_000, 'three live datanodes');

      if (withMount) {
        // The mount: its directory serves again (a new mount clears the dead one).
        expect(await fse.readFile(path.join(mountDir, 'after'), 'utf8')).toBe('after the restart');
        const mount = await onlyPid(`mount --namenode ${address}`);
        process.kill(mount, 'SIGKILL');
        await restarted(`mount --namenode ${address}`, mount);
        await waitFor(async () => (await fse.readFile(path.join(mountDir, 'after'), 'utf8').catch(() => '')) === 'after the restart', 30_000, 'the mount to serve again');
        await fse.writeFile(path.join(mountDir, 'through-new-mount'), 'x');
        expect(await client.readFile('/through-new-mount', 'utf8')).toBe('x');
      }
      // Each restart was logged, with the signal.
      expect(stderr.join('')).toMatch(/"server":"namenode".*"signal":"SIGKILL".*crashed; starting it again/);
      expect(child?.exitCode).toBeNull();
    } finally {
      await client.close();
    }
    await stopCluster(data);
  });
});

/** Pids of processes (other than ps itself) whose command line mentions `text`. */
async function pidsMentioning(text: string): Promise<number[]> {
  const out = await new Promise<string>((resolve, reject) => {
    execFile('ps', ['-eo', 'pid=,args='], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => (err !== null ? reject(err) : resolve(stdout)));
  });
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && (m[2] ?? '').includes(text) && !(m[2] ?? '').startsWith('ps '))
    .map((m) => Number(m[1]))
    .filter((pid) => pid !== process.pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
