// The FUSE mount next to a local directory, same workloads, same run (issue 4's table). The
// mount is served by its own `cairn mount` process, so this process may use node:fs on it.
// Sizes: BENCH_MOUNT_MIB (default 1024), BENCH_MOUNT_FILES (create/stat/delete, default 10000),
// BENCH_TREE_FILES (tar/git tree, default 3000), BENCH_SQL_TX (default 1000), BENCH_SQL_BULK (rows
// in the table first, default 10000).

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freeStockDefault as realFreeStock } from '../datanode/chunk-store.js';
import { MiniCluster } from '../test/helpers/mini-cluster.js';
import { Mount } from '../test/helpers/mount.js';
import { createTable, insertRows } from './sql.js';

const mib = 1024 * 1024;
const seqMiB = Number(process.env.BENCH_MOUNT_MIB ?? 1024);
const fileCount = Number(process.env.BENCH_MOUNT_FILES ?? 10_000);
const treeFiles = Number(process.env.BENCH_TREE_FILES ?? 3000);
const sqlTransactions = Number(process.env.BENCH_SQL_TX ?? 1000);
const sqlBulkRows = Number(process.env.BENCH_SQL_BULK ?? 10_000);

export interface MountRow {
  workload: string;
  unit: string;
  local: number;
  cairn: number;
  /** true when smaller is better (times) */
  lowerIsBetter?: boolean;
}

async function seconds(fn: () => Promise<void> | void): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function dropCaches(): void {
  spawnSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' });
}

async function sequential(dir: string): Promise<{ write: number; read: number; iops: number }> {
  const file = path.join(dir, 'seq.bin');
  const block = randomBytes(mib);
  const write = await seconds(async () => {
    const handle = await fsp.open(file, 'w');
    for (let i = 0; i < seqMiB; i++) await handle.write(block, 0, mib, i * mib);
    await handle.sync();
    await handle.close();
  });
  dropCaches();
  const buf = Buffer.allocUnsafe(mib);
  const read = await seconds(async () => {
    const handle = await fsp.open(file, 'r');
    for (let i = 0; i < seqMiB; i++) await handle.read(buf, 0, mib, i * mib);
    await handle.close();
  });
  dropCaches();
  const iops = randomReads(file, seqMiB * mib, 3000);
  await fsp.rm(file);
  return { write: seqMiB / write, read: seqMiB / read, iops };
}

// 4 KiB reads at random aligned offsets, O_DIRECT, queue depth 1, as fio --direct=1 does: Node
// cannot align a buffer for O_DIRECT, so a few lines of Python (an mmap is page-aligned) do it.
const directReads = `
import mmap, os, random, sys, time
path, size, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
blocks = size // 4096
start = time.perf_counter()
for _ in range(n):
    if os.preadv(fd, [buf], random.randrange(blocks) * 4096) != 4096: sys.exit("short read")
print(n / (time.perf_counter() - start))
`;

function randomReads(file: string, sizeBytes: number, reads: number): number {
  return Number(execFileSync('python3', ['-c', directReads, file, String(sizeBytes), String(reads)], { encoding: 'utf8' }).trim());
}

async function metadata(dir: string): Promise<{ create: number; stat: number; remove: number }> {
  const base = path.join(dir, 'many');
  await fsp.mkdir(base);
  const names = [...Array(fileCount).keys()].map((i) => path.join(base, `f${i}`));
  const create = await seconds(async () => {
    for (const name of names) await (await fsp.open(name, 'wx')).close();
  });
  const stat = await seconds(async () => {
    for (const name of names) await fsp.stat(name);
  });
  const remove = await seconds(async () => {
    for (const name of names) await fsp.unlink(name);
  });
  await fsp.rmdir(base);
  return { create: fileCount / create, stat: fileCount / stat, remove: fileCount / remove };
}

async function programs(dir: string, tarball: string): Promise<{ tarX: number; rm: number; gitAdd: number; sqlTps: number }> {
  const tree = path.join(dir, 'tree');
  await fsp.mkdir(tree);
  const tarX = await seconds(() => void execFileSync('tar', ['-xf', tarball, '-C', tree]));
  execFileSync('git', ['init', '-q', tree]);
  const gitAdd = await seconds(() => void execFileSync('git', ['-C', tree, 'add', '-A'], { env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } }));
  const rm = await seconds(() => fsp.rm(tree, { recursive: true }));
  const db = path.join(dir, 'bench.db');
  // As ../shared/bench/peers.sh: a table of SQL_BULK rows of 100 characters first (1.2 MB), in one
  // transaction and not timed, then the timed one-row transactions into it.
  execFileSync('sqlite3', [db], { input: [createTable, 'BEGIN;', insertRows(1, sqlBulkRows), 'COMMIT;'].join('\n') });
  const script = insertRows(1, sqlTransactions);
  const sql = await seconds(() => void execFileSync('sqlite3', [db], { input: script }));
  await fsp.rm(db, { force: true });
  return { tarX, rm, gitAdd, sqlTps: sqlTransactions / sql };
}

/** A tarball of up to `treeFiles` files from /usr/include (real headers, real directory shapes). */
async function makeTarball(work: string): Promise<string> {
  const list = execFileSync('sh', ['-c', `cd /usr && find include -type f | head -n ${treeFiles}`], { encoding: 'utf8' });
  const listFile = path.join(work, 'files.txt');
  await fsp.writeFile(listFile, list);
  const tarball = path.join(work, 'tree.tar');
  execFileSync('tar', ['-cf', tarball, '-C', '/usr', '-T', listFile]);
  return tarball;
}

export async function mountBenchmark(): Promise<MountRow[]> {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-bench-mount-'));
  const local = path.join(work, 'local');
  await fsp.mkdir(local);
  const cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 64 * mib, heartbeatMs: 1000, deadAfterMs: 10_000, freeStock: realFreeStock });
  let mount: Mount | undefined;
  try {
    mount = await Mount.start(cluster, { timeoutMs: 60_000 });
    const tarball = await makeTarball(work);
    const treeCount = Number(execFileSync('sh', ['-c', `tar -tf ${tarball} | grep -vc '/$'`], { encoding: 'utf8' }).trim());
    process.stderr.write(`mount: sequential ${seqMiB} MiB...\n`);
    const [lSeq, cSeq] = [await sequential(local), await sequential(mount.dir)];
    process.stderr.write(`mount: ${fileCount} files create/stat/delete...\n`);
    const [lMeta, cMeta] = [await metadata(local), await metadata(mount.dir)];
    process.stderr.write(`mount: tar, git, sqlite...\n`);
    const [lProg, cProg] = [await programs(local, tarball), await programs(mount.dir, tarball)];
    return [
      { workload: `mount: sequential write ${seqMiB} MiB (1 MiB blocks, fsync at end)`, unit: 'MiB/s', local: lSeq.write, cairn: cSeq.write },
      { workload: `mount: sequential read ${seqMiB} MiB, cold cache`, unit: 'MiB/s', local: lSeq.read, cairn: cSeq.read },
      { workload: 'mount: random 4 KiB reads, O_DIRECT, queue depth 1', unit: 'IOPS', local: lSeq.iops, cairn: cSeq.iops },
      { workload: `mount: create ${fileCount} files in one directory`, unit: 'ops/s', local: lMeta.create, cairn: cMeta.create },
      { workload: `mount: stat ${fileCount} files`, unit: 'ops/s', local: lMeta.stat, cairn: cMeta.stat },
      { workload: `mount: delete ${fileCount} files`, unit: 'ops/s', local: lMeta.remove, cairn: cMeta.remove },
      { workload: `mount: tar -x of a ${treeCount}-file tree`, unit: 's', local: lProg.tarX, cairn: cProg.tarX, lowerIsBetter: true },
      { workload: `mount: git add -A of that tree`, unit: 's', local: lProg.gitAdd, cairn: cProg.gitAdd, lowerIsBetter: true },
      { workload: `mount: rm -r of that tree`, unit: 's', local: lProg.rm, cairn: cProg.rm, lowerIsBetter: true },
      { workload: `mount: SQLite ${sqlTransactions} one-row transactions into ${sqlBulkRows} rows (default journal, full sync)`, unit: 'tx/s', local: lProg.sqlTps, cairn: cProg.sqlTps },
    ];
  } finally {
    await mount?.stop();
    await cluster.stop();
    await fsp.rm(work, { recursive: true, force: true });
  }
}
