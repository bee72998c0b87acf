// The namenode process: opens the namespace (LevelDB), rebuilds the chunk map's expectations,
// serves ClientNamenode and DatanodeNamenode over gRPC, and ticks liveness and leases.

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
import { DatanodeRegistry } from './registry.js';
import { clientNamenodeHandlers } from './rpc/client-service.js';
import { datanodeNamenodeHandlers } from './rpc/datanode-service.js';
import { PreparedChunks, type NamenodeSettings, type NamenodeState } from './state.js';
import { LevelKv } from './store/kv.js';

export interface NamenodeConfig extends NamenodeSettings {
  dataDir: string;
  host: string;
  port: number;
  chunkSizeBytes: number;
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
  defaultReplication: limits.replicationDefault,
} as const;

export class Namenode {
  private constructor(
    readonly state: NamenodeState,
    private readonly server: grpc.Server,
    private readonly ticker: NodeJS.Timeout,
    readonly address: string,
  ) {}

  static async start(config: NamenodeConfig, log: Logger): Promise<Namenode> {
    await fs.ensureDir(config.dataDir);
    const secret = config.secret ?? (await readOrCreateSecret(config.dataDir));
    const level = new Level<string, string>(path.join(config.dataDir, 'meta'), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    const kv = await LevelKv.open(level);
    const namespace = await Namespace.open(kv, {
      chunkSizeBytes: config.chunkSizeBytes,
      defaultReplication: config.defaultReplication,
      nowMs: Date.now(),
      onFatal: (err) => {
        log.fatal({ err }, 'metadata store write failed; stopping');
        process.exit(70);
      },
    });
    if (namespace.settings.chunkSizeBytes !== config.chunkSizeBytes) {
      log.warn({ formatted: namespace.settings.chunkSizeBytes, asked: config.chunkSizeBytes }, 'chunk size is fixed at format time; keeping the formatted one');
    }
    const chunks = new ChunkMap(config.orphanGraceMs);
    let count = 0;
    for await (const { chunk } of namespace.allChunks()) {
      chunks.setExpected(chunk.id, chunk.gen, chunk.len);
      count++;
    }
    const state: NamenodeState = {
      prepared: new PreparedChunks(),
      namespace,
      registry: new DatanodeRegistry(config.deadAfterMs),
      chunks,
      leases: new LeaseManager(config.leaseExpiryMs),
      tokens: new ChunkTokens(secret),
      secret,
      settings: config,
      log,
      now: () => Date.now(),
    };

    const proto = cairnProto();
    const server = new grpc.Server(channelOptions);
    server.addService(proto.cairn.ClientNamenode.service, clientNamenodeHandlers(state));
    server.addService(proto.cairn.DatanodeNamenode.service, datanodeNamenodeHandlers(state));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${config.host}:${config.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
    const ticker = setInterval(() => tick(state), Math.max(50, Math.floor(config.heartbeatMs / 2)));
    const address = `${config.host}:${port}`;
    log.info({ address, clusterId: namespace.cluster.clusterId, chunks: count, chunkSizeBytes: namespace.settings.chunkSizeBytes }, 'namenode started');
    return new Namenode(state, server, ticker, address);
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    await this.state.namespace.close();
  }
}

function tick(state: NamenodeState): void {
  const now = state.now();
  for (const id of state.registry.tick(now)) {
    state.chunks.removeDatanode(id);
    state.log.warn({ datanode: id }, 'datanode lost (no heartbeat)');
  }
  state.leases.expire(now);
  state.prepared.expire(now - 60 * 60 * 1000);
}

async function readOrCreateSecret(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'secret');
  if (await fs.pathExists(file)) return (await fs.readFile(file, 'utf8')).trim();
  const secret = generateSecret();
  await fs.writeFile(file, secret + '\n', { mode: 0o600 });
  return secret;
}
