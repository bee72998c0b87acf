// A FUSE mount of a MiniCluster for tests, served by its own `cairn mount` process (a process
// must never call into a mount it serves). The test process uses the mount through
// node:fs/promises and child processes only.

import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type fsp from 'node:fs/promises';
import fs from 'fs-extra';
import { extraNodeArgs } from '../../common/args.js';
import { cliPath, MiniCluster, waitFor } from './mini-cluster.js';

export interface MountOptions {
  allowOther?: boolean;
  timeoutMs?: number;
  cacheMs?: number;
  /** The mount's log level (default: CAIRN_LOG_LEVEL, else warn); logs() keeps its last 300 lines. */
  logLevel?: string;
  /** Mount here (created if missing) instead of a fresh temporary directory. */
  dir?: string;
  /** Reader threads (`--readers`); default 0: the main thread reads /dev/fuse. */
  readers?: number;
}

/** pread of `length` bytes at `at`: the bytes read (fewer at the file's end). */
export async function readAt(handle: fsp.FileHandle, at: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, at);
  return buf.subarray(0, bytesRead);
}

/** Whether this machine can run FUSE tests (root and /dev/fuse), and why not. */
export function fuseUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'FUSE tests need root (mount(8) with /dev/fuse)';
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse';
  if (spawnSync('sh', ['-c', 'command -v fusermount || command -v fusermount3'], { stdio: 'ignore' }).status !== 0) return 'no fusermount (Debian fuse3)';
  return undefined;
}

export class Mount {
  private readonly output: string[] = [];
  private readonly watchers: Array<(line: string) => void> = [];
  private settles = 0;
  private exited = false;

  private constructor(
    readonly dir: string,
    readonly child: ChildProcess,
    private readonly ownsDir: boolean,
  ) {
    child.on('exit', () => (this.exited = true));
    // CAIRN_TEST_MOUNT_LOG=FILE appends every mount's log there (for diagnosing a failed test).
    const logFile = process.env.CAIRN_TEST_MOUNT_LOG;
    const keep = (line: string): void => {
      for (const watch of this.watchers) watch(line);
      this.output.push(line);
      if (this.output.length > 300) this.output.shift();
      if (logFile !== undefined) appendFileSync(logFile, `${child.pid} ${line}\n`);
    };
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', keep);
  }

  static async start(cluster: MiniCluster, opts: MountOptions = {}): Promise<Mount> {
    const ownsDir = opts.dir === undefined;
    // A given directory may hold a dead mount (ENOTCONN) for `cairn mount` to clear: not touched here.
    const dir = opts.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'cairn-mnt-')));
    const args = [
      cliPath, 'mount', '--namenode', cluster.namenodeAddress, '--secret-file', cluster.secretFile, dir,
      '--timeout-ms', String(opts.timeoutMs ?? 20_000),
      ...(opts.cacheMs !== undefined ? ['--cache-ms', String(opts.cacheMs)] : []),
      ...(opts.allowOther === true ? ['--allow-other'] : []),
      ...(opts.readers !== undefined ? ['--readers', String(opts.readers)] : []),
    ];
    const child = spawn(process.execPath, [...extraNodeArgs(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CAIRN_LOG_LEVEL: opts.logLevel ?? process.env.CAIRN_LOG_LEVEL ?? 'warn' },
    });
    const mount = new Mount(dir, child, ownsDir);
    try {
      await mount.waitForLine(/^mounted /, 30_000);
    } catch (err) {
      await mount.stop();
      throw err;
    }
    return mount;
  }

  /** A path inside the mount. */
  p(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** SIGTERM (commit and unmount), then SIGKILL if it hangs; always leaves nothing mounted. */
  async stop(): Promise<void> {
    if (!this.exited) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    spawnSync('fusermount', ['-uz', this.dir], { stdio: 'ignore' });
    if (this.ownsDir) await fs.rmdir(this.dir).catch(() => undefined);
  }

  /** SIGKILL: leaves a dead mount behind (ENOTCONN), as a crash would. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }

  logs(): string {
    return this.output.join('\n');
  }

  /** Counts the log lines from now on that `matches` accepts (logs() keeps only the last 300). */
  counter(matches: (line: string) => boolean): () => number {
    let n = 0;
    this.watchers.push((line) => {
      if (matches(line)) n++;
    });
    return () => n;
  }

  /**
   * Returns once the log holds every line of what the mount did before this call (trace level):
   * the lines come through a pipe, after the replies. A LOOKUP of a name that does not exist goes
   * to the mount and is logged after them; its line is waited for.
   */
  async settled(): Promise<void> {
    const misses = this.counter((line) => line.includes('"op":"lookup"') && line.includes('"errno":2'));
    await fs.stat(path.join(this.dir, `.settled-${process.pid}-${++this.settles}`)).catch(() => undefined);
    await waitFor(() => misses() > 0, 10_000, "the mount's log to catch up");
  }

  private async waitForLine(pattern: RegExp, timeoutMs: number): Promise<void> {
    const lines = createInterface({ input: this.child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => lines.close(), timeoutMs);
    try {
      for await (const line of lines) if (pattern.test(line)) return;
    } finally {
      clearTimeout(timer);
    }
    throw new Error(`cairn mount did not print ${pattern}:\n${this.logs()}`);
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (never a shell unless asked), with a deadline. */
export async function run(command: string, args: string[], opts: SpawnOptions & { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  const child = spawn(command, args, { ...opts, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin?.on('error', () => undefined); // a program that exits without reading all its input
  child.stdin?.end(opts.input);
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Like run, but throws with the output unless the exit code is 0. */
export async function runOk(command: string, args: string[], opts: SpawnOptions & { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const result = await run(command, args, opts);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** The errno code a promise rejects with (undefined when it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
  return undefined;
}

/** A cluster and two mounts for the tests of what mount `a` answers ahead of its namenode calls. */
export interface AheadSetup {
  cluster: MiniCluster;
  /** Logs at debug level, with a long name cache (what it filled stays known while the namenode is down) and timeout. */
  a: Mount;
  b: Mount;
  /** Changes `a` answered ahead, and those whose call then failed, counted from its log. */
  answeredAhead: () => number;
  failedAhead: () => number;
}

/** Starts the cluster and mounts of an AheadSetup; `answered` and `failed` are the log texts counted. */
export async function startAheadSetup(answered: string, failed: string): Promise<AheadSetup> {
  const cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 1024 * 1024 });
  const started = await Promise.allSettled([Mount.start(cluster, { logLevel: 'debug', cacheMs: 10_000, timeoutMs: 30_000 }), Mount.start(cluster)]);
  const [a, b] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  if (a === undefined || b === undefined) {
    await stopAheadSetup({ cluster, ...(a !== undefined && { a }), ...(b !== undefined && { b }) });
    throw (started.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
  }
  return {
    cluster,
    a,
    b,
    answeredAhead: a.counter((line) => line.includes(answered)),
    failedAhead: a.counter((line) => line.includes(failed)),
  };
}

/** Stops what startAheadSetup started (whatever of it did start). */
export async function stopAheadSetup(setup: Partial<AheadSetup>): Promise<void> {
  await Promise.all([setup.a?.stop(), setup.b?.stop()]);
  await setup.cluster?.stop();
}
