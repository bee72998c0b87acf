// The namenode process: opens the namespace (LevelDB), rebuilds the chunk map's expectations,
// serves ClientNamenode and DatanodeNamenode over gRPC, and ticks liveness and leases.

import { DirGrants, ReservedInodes } from './grants.js';
import type net from 'node:net';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import fs from 'fs-extra';
import { Level } from 'level';
import { ChunkTokens, generateSecret } from '../common/auth.js';
import { limits } from '../common/limits.js';
import type { Logger } from '../common/log.js';
import { cairnProto, channelOptions } from '../common/rpc.js';
import { ChunkMap } from './chunkmap.js';
import { LeaseManager } from './leases.js';
import { Namespace } from './namespace/namespace.js';
import { DatanodeRegistry, type AdminState } from './registry.js';
import { ReplicationPlanner } from './replication.js';
import { SafeMode } from './safemode.js';
import { keys, prefixEnd } from './namespace/records.js';
import { clientNamenodeHandlers, clientNamenodeMethods } from './rpc/client-service.js';
import { frameRpcServer, listenLocal, type Method } from '../common/frame-rpc.js';
import { datanodeNamenodeHandlers } from './rpc/datanode-service.js';
import { PreparedChunks, adminKeyPrefix, persistAdminState, type NamenodeSettings, type NamenodeState } from './state.js';
import { collectWhenIdle, idleGcFromEnv } from '../common/idle-gc.js';
import { Journal } from './store/journal.js';
import { LevelKv } from './store/kv.js';

export interface NamenodeConfig extends NamenodeSettings {
  dataDir: string;
  host: string;
  port: number;
  chunkSizeBytes: number;
  /** Port of the framed-TCP view of ClientNamenode (0: any free port; -1: gRPC only). */
  frameRpcPort: number;
  /** The cluster secret; when absent it is read from, or generated into, `<dataDir>/secret`. */
  secret?: string | undefined;
}

export const namenodeDefaults = {
  host: '127.0.0.1',
  port: 9000,
  chunkSizeBytes: limits.chunkSizeBytesDefault,
  heartbeatMs: limits.heartbeatIntervalMsDefault,
  deadAfterMs: limits.deadAfterMsDefault,
  fullReportMs: limits.fullReportIntervalMsDefault,
  leaseExpiryMs: limits.leaseExpiryMsDefault,
  orphanGraceMs: 10 * 60 * 1000,
  safeModeExtensionMs: 1000,
  safeModeMaxMs: 60_000,
  defaultReplication: limits.replicationDefault,
  metaDurability: 'on-sync',
  metaSyncIntervalMs: 1000,
  frameRpcPort: 0,
  sharedCalls: true,
} as const satisfies Partial<NamenodeConfig>;

export class Namenode {
  private constructor(
    readonly state: NamenodeState,
    private readonly server: grpc.Server,
    private readonly frameServer: net.Server | undefined,
    private readonly localServer: net.Server | undefined,
    private readonly ticker: NodeJS.Timeout,
    private readonly idleGc: { stop: () => void },
    readonly address: string,
  ) {}

  static async start(config: NamenodeConfig, log: Logger): Promise<Namenode> {
    await fs.ensureDir(config.dataDir);
    const secret = config.secret ?? (await readOrCreateSecret(config.dataDir));
    const level = new Level<string, string>(path.join(config.dataDir, 'meta'), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    const kv = await LevelKv.open(level);
    // A journal beside an empty store belongs to a store that was removed (the store is formatted,
    // durably, before anything is journaled).
    const journal = await Journal.open(config.dataDir, kv, { discard: (await kv.get(keys.cluster)) === undefined });
    if (journal.recovery.replayed > 0 || journal.recovery.skipped > 0) log.info(journal.recovery, 'metadata journal replayed');
    if (journal.recovery.skipped > 0) log.warn(journal.recovery, 'journal records after a gap were not replayed (a machine crash lost unsynced operations)');
    const namespace = await Namespace.open(kv, {
      journal,
      chunkSizeBytes: config.chunkSizeBytes,
      defaultReplication: config.defaultReplication,
      nowMs: Date.now(),
      onFatal: (err) => {
        log.fatal({ err }, 'metadata store write failed; stopping');
        process.exit(70);
      },
      durability: config.metaDurability,
    });
    if (namespace.settings.chunkSizeBytes !== config.chunkSizeBytes) {
      log.warn({ formatted: namespace.settings.chunkSizeBytes, asked: config.chunkSizeBytes }, 'chunk size is fixed at format time; keeping the formatted one');
    }
    const chunks = new ChunkMap(config.orphanGraceMs);
    let count = 0;
    for await (const { ino, rep, chunk } of namespace.allChunks()) {
      chunks.setExpected(chunk.id, { gen: chunk.gen, len: chunk.len, rep, ino });
      count++;
    }
    const registry = new DatanodeRegistry(config.deadAfterMs);
    for (const [key, value] of await namespace.db.range({ gte: adminKeyPrefix, lt: prefixEnd(adminKeyPrefix) })) {
      registry.setAdminState(key.slice(adminKeyPrefix.length), value as AdminState);
    }
    const startedMs = Date.now();
    const state: NamenodeState = {
      prepared: new PreparedChunks(),
      planner: new ReplicationPlanner(chunks, registry),
      safeMode: new SafeMode({ thresholdFraction: 0.999, extensionMs: config.safeModeExtensionMs, maxMs: config.safeModeMaxMs }, startedMs),
      replicateOrders: new Map(),
      namespace,
      registry,
      chunks,
      leases: new LeaseManager(config.leaseExpiryMs),
      grants: new DirGrants(() => performance.now()),
      reserved: new ReservedInodes(() => performance.now()),
      tokens: new ChunkTokens(secret),
      secret,
      settings: config,
      log,
      now: () => Date.now(),
      frameRpcPort: 0,
      localSocket: '',
    };

    const proto = cairnProto();
    const methods = clientNamenodeMethods(state);
    let frameServer: net.Server | undefined;
    let localServer: net.Server | undefined;
    if (config.frameRpcPort >= 0) {
      // The same calls on TCP and, for clients on this machine, on a Unix socket.
      const serveFrames = (): net.Server =>
        frameRpcServer(proto.cairn.ClientNamenode.service, methods as unknown as Record<string, Method>, secret, log, { sharedCalls: config.sharedCalls });
      const server = serveFrames();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.frameRpcPort, config.host, () => resolve());
      });
      state.frameRpcPort = (server.address() as net.AddressInfo).port;
      frameServer = server;
      const local = serveFrames();
      const name = await listenLocal(local, log);
      if (name !== undefined) {
        localServer = local;
        state.localSocket = name;
      }
    }
    const server = new grpc.Server(channelOptions);
    server.addService(proto.cairn.ClientNamenode.service, clientNamenodeHandlers(state, methods));
    server.addService(proto.cairn.DatanodeNamenode.service, datanodeNamenodeHandlers(state));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${config.host}:${config.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
    const ticker = setInterval(() => tick(state), Math.max(50, Math.floor(config.heartbeatMs / 2)));
    const idleGc = collectWhenIdle(() => namespace.db.stats.transactions, log, idleGcFromEnv(), () => namespace.db.writingBehind);
    const address = `${config.host}:${port}`;
    log.info({ address, frameRpcPort: state.frameRpcPort, clusterId: namespace.cluster.clusterId, chunks: count, chunkSizeBytes: namespace.settings.chunkSizeBytes }, 'namenode started');
    return new Namenode(state, server, frameServer, localServer, ticker, idleGc, address);
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    this.idleGc.stop();
    this.frameServer?.close();
    this.localServer?.close();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    await this.state.namespace.close();
  }
}

function tick(state: NamenodeState): void {
  const now = state.now();
  for (const id of state.registry.tick(now)) {
    state.chunks.removeDatanode(id);
    state.planner.datanodeDied(id);
    state.replicateOrders.delete(id);
    state.log.warn({ datanode: id }, 'datanode lost (no heartbeat)');
  }
  for (const ino of state.leases.expire(now)) state.prepared.forgetNext(ino); // their writers are gone
  // After the next poll of the connections: past a stall, creates already received extend their
  // grants first (grants.ts).
  setImmediate(() => {
    state.grants.sweep();
    state.reserved.sweep();
  });
  syncMetadata(state, now);
  // A client uses a chunk handed out ahead within 2 minutes (chunk-stock.ts), and its upload
  // commits it soon after; what it left unused stops counting against it after 5.
  state.prepared.expire(now - 60 * 60 * 1000, now - 5 * 60 * 1000);
  if (state.safeMode.active) {
    const isLive = (dn: string): boolean => state.registry.isLive(dn);
    const reason = state.safeMode.tick(now, state.chunks.expectedCount(), state.chunks.reportedCount(isLive), state.registry.live().length);
    if (reason === undefined) return;
    state.log.info({ reason }, 'leaving safe mode');
  }
  for (const order of state.planner.tick(now)) {
    let list = state.replicateOrders.get(order.source);
    if (list === undefined) state.replicateOrders.set(order.source, (list = []));
    list.push(order);
  }
  checkDecommissions(state);
}

/** Bounds how long an acknowledged change stays only in the page cache (on-sync mode). */
function syncMetadata(state: NamenodeState, now: number): void {
  const db = state.namespace.db;
  if (!db.hasUnsynced || now - db.lastSyncMs < state.settings.metaSyncIntervalMs) return;
  db.sync().catch(() => undefined); // a failed write stops the namenode (onFatal)
}

/** A decommissioning node is done when every chunk it holds has its factor on other nodes. */
function checkDecommissions(state: NamenodeState): void {
  const writable = state.registry.writable().length;
  for (const node of state.registry.live()) {
    if (node.adminState !== 'decommissioning') continue;
    const done = state.chunks.chunkIdsOn(node.id).every((chunkId) => {
      const expected = state.chunks.expectedOf(chunkId);
      if (expected === undefined) return true;
      const elsewhere = state.chunks.currentHolders(chunkId, (dn) => state.registry.isLiveNormal(dn)).length;
      return elsewhere >= Math.min(expected.rep, writable) && elsewhere > 0;
    });
    if (done) {
      state.registry.setAdminState(node.id, 'decommissioned');
      void persistAdminState(state, node.id, 'decommissioned');
      state.log.info({ datanode: node.id }, 'datanode decommissioned: it holds no replica that is needed');
    }
  }
}

async function readOrCreateSecret(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'secret');
  if (await fs.pathExists(file)) return (await fs.readFile(file, 'utf8')).trim();
  const secret = generateSecret();
  await fs.writeFile(file, secret + '\n', { mode: 0o600 });
  return secret;
}
