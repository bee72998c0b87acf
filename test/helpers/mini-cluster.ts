// A real cluster for tests: one namenode and N datanodes, each its own `cairn` process, with
// real gRPC on loopback, real LevelDB and real chunk files in a temporary directory. Processes
// can be SIGKILLed and restarted; the namenode keeps its port across restarts.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import fs from 'fs-extra';
import { extraNodeArgs, serverEnv } from '../../common/args.js';
import { generateSecret } from '../../common/auth.js';
import { CairnClient, type CairnClientOptions } from '../../client/sdk/client.js';

// The built CLI, whether this helper runs from source (vitest) or from dist/ (the benchmark).
const repoRoot = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url));
export const cliPath = path.join(repoRoot, 'dist', 'client', 'cli', 'main.js');

export interface MiniClusterOptions {
  datanodes?: number;
  chunkSizeBytes?: number;
  heartbeatMs?: number;
  deadAfterMs?: number;
  leaseMs?: number;
  /** Extra namenode flags. */
  namenodeArgs?: string[];
  /** Extra datanode flags. */
  datanodeArgs?: string[];
  /**
   * Empty files each datanode keeps ready (`--free-stock`): 256 by default, so that the many
   * clusters of the tests start quickly; benchmarks pass a real datanode's default (4,096).
   */
  freeStock?: number;
}

interface Proc {
  child: ChildProcess;
  output: string[];
}

export class MiniCluster {
  readonly dir: string;
  readonly secret: string;
  readonly secretFile: string;
  namenodeAddress = '';
  private namenode: Proc | undefined;
  private readonly datanodes = new Map<number, Proc>();
  /** datanode index -> persistent datanode id, once started */
  readonly datanodeIds = new Map<number, string>();
  private readonly clients: CairnClient[] = [];

  private constructor(readonly opts: Required<MiniClusterOptions>, dir: string) {
    this.dir = dir;
    this.secret = generateSecret();
    this.secretFile = path.join(dir, 'secret');
  }

  static async start(options: MiniClusterOptions = {}): Promise<MiniCluster> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cairn-test-'));
    const cluster = new MiniCluster(
      {
        datanodes: options.datanodes ?? 3,
        chunkSizeBytes: options.chunkSizeBytes ?? 1024 * 1024,
        heartbeatMs: options.heartbeatMs ?? 200,
        deadAfterMs: options.deadAfterMs ?? 3000,
        leaseMs: options.leaseMs ?? 30_000,
        namenodeArgs: options.namenodeArgs ?? [],
        datanodeArgs: options.datanodeArgs ?? [],
        freeStock: options.freeStock ?? 256,
      },
      dir,
    );
    await fs.writeFile(cluster.secretFile, cluster.secret + '\n', { mode: 0o600 });
    try {
      await cluster.startNamenode(0);
      await Promise.all([...Array(cluster.opts.datanodes).keys()].map((i) => cluster.startDatanode(i)));
      await cluster.waitForLiveDatanodes(cluster.opts.datanodes);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  datanodeDir(index: number): string {
    return path.join(this.dir, `datanode-${index}`);
  }

  namenodeDir(): string {
    return path.join(this.dir, 'namenode');
  }

  /**
   * `extraArgs`: besides the cluster's `namenodeArgs`, for this start only (a restart with another
   * setting). Not while this process holds a descriptor on a mount with writes to commit: the
   * fork's child closes its copy at exec, a FUSE FLUSH that waits for this namenode (docs/FUSE.md,
   * "Known limits"); such I/O runs in a child process.
   */
  async startNamenode(port = Number(this.namenodeAddress.split(':')[1] ?? 0), extraArgs: string[] = []): Promise<void> {
    const { opts } = this;
    const proc = this.spawn([
      'namenode', '--data', this.namenodeDir(), '--port', String(port), '--secret-file', this.secretFile,
      '--chunk-size', String(opts.chunkSizeBytes), '--heartbeat-ms', String(opts.heartbeatMs),
      '--dead-after-ms', String(opts.deadAfterMs), '--lease-ms', String(opts.leaseMs), ...opts.namenodeArgs, ...extraArgs,
    ]);
    this.namenode = proc;
    const line = await waitForLine(proc, /^namenode (\S+)$/);
    this.namenodeAddress = line[1] as string;
  }

  async startDatanode(index: number): Promise<void> {
    const proc = this.spawn([
      'datanode', '--data', this.datanodeDir(index), '--port', '0', '--namenode', this.namenodeAddress,
      '--secret-file', this.secretFile, '--heartbeat-ms', String(this.opts.heartbeatMs), '--free-stock', String(this.opts.freeStock),
      ...this.opts.datanodeArgs,
    ]);
    this.datanodes.set(index, proc);
    const line = await waitForLine(proc, /^datanode (\S+) (\S+)$/);
    this.datanodeIds.set(index, line[1] as string);
  }

  /** SIGKILL (or another signal) and wait for the process to be gone. */
  async killNamenode(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.namenode !== undefined) await kill(this.namenode.child, signal);
    this.namenode = undefined;
  }

  async killDatanode(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.datanodes.get(index);
    if (proc !== undefined) await kill(proc.child, signal);
    this.datanodes.delete(index);
  }

  /** Where a datanode keeps one replica (chunk id, stamp) on disk. */
  replicaPath(index: number, chunkId: number, gen: number): string {
    return path.join(this.datanodeDir(index), 'chunks', (chunkId & 0xff).toString(16).padStart(2, '0'), `${chunkId.toString(16)}_${gen}.rep`);
  }

  isDatanodeRunning(index: number): boolean {
    return this.datanodes.has(index);
  }

  indexOfDatanode(id: string): number {
    for (const [index, dnId] of this.datanodeIds) if (dnId === id) return index;
    throw new Error(`no datanode ${id}`);
  }

  client(overrides: Partial<CairnClientOptions> = {}): CairnClient {
    const client = new CairnClient({ namenode: this.namenodeAddress, secret: this.secret, uid: 0, gid: 0, deadlineMs: 15_000, ...overrides });
    this.clients.push(client);
    return client;
  }

  async waitForLiveDatanodes(count: number, timeoutMs = 30_000): Promise<void> {
    const client = this.client();
    await waitFor(async () => {
      const report = await client.report().catch(() => undefined);
      return (report?.datanodes.filter((dn) => dn.state === 'live').length ?? 0) >= count;
    }, timeoutMs, `${count} live datanodes`);
  }

  /** The namenode's process id (benchmarks read its memory from /proc). */
  get namenodePid(): number | undefined {
    return this.namenode?.child.pid;
  }

  /** Output of the server processes so far, each's last 500 lines (for diagnosing a failed test). */
  logs(): string {
    return [this.namenode, ...this.datanodes.values()].map((p) => p?.output.join('\n') ?? '').join('\n');
  }

  async stop(): Promise<void> {
    for (const client of this.clients.splice(0)) await client.close().catch(() => undefined);
    const procs = [...this.datanodes.values(), ...(this.namenode ? [this.namenode] : [])];
    await Promise.all(procs.map((p) => kill(p.child, 'SIGTERM', 5000)));
    this.datanodes.clear();
    this.namenode = undefined;
    await fs.remove(this.dir);
  }

  private spawn(args: string[]): Proc {
    const child = spawn(process.execPath, [...extraNodeArgs(), cliPath, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: serverEnv({ CAIRN_LOG_LEVEL: process.env.CAIRN_LOG_LEVEL ?? 'warn' }),
    });
    const output: string[] = [];
    const keep = (line: string): void => {
      output.push(line);
      if (output.length > 500) output.shift();
    };
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', keep);
    return { child, output };
  }
}

async function waitForLine(proc: Proc, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const lines = createInterface({ input: proc.child.stdout as NodeJS.ReadableStream });
  const timer = setTimeout(() => lines.close(), timeoutMs);
  try {
    for await (const line of lines) {
      const match = pattern.exec(line);
      if (match) return match;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`process did not print ${pattern} (exit ${proc.child.exitCode}):\n${proc.output.join('\n')}`);
}

async function kill(child: ChildProcess, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls `condition` until it holds, failing after `timeoutMs` with `what`. */
export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
