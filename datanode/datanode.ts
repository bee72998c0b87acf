// The datanode process: its identity on disk, the chunk store, the DataTransfer server and the
// link to the namenode.

import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AddressInfo, Server } from 'node:net';
import fs from 'fs-extra';
import { ChunkTokens } from '../common/auth.js';
import type { Logger } from '../common/log.js';
import { DataTransferPool } from '../common/transfer.js';
import { ChunkStore } from './chunk-store.js';
import { NamenodeLink } from './namenode-link.js';
import { Replicator } from './replicator.js';
import { Scrubber, type ScrubSettings } from './scrubber.js';
import { dataTransferServer } from './transfer-service.js';
import { SendBuffers } from './send-buffers.js';
import { collectWhenIdle } from '../common/idle-gc.js';

export interface DatanodeConfig {
  dataDir: string;
  host: string;
  port: number;
  namenode: string;
  secret: string;
  heartbeatMs: number;
  scrub: ScrubSettings;
  /** New empty files kept ready for new replicas (free-files.ts `stock`); 0: none. */
  freeStock?: number;
}

interface Identity {
  datanodeId: string;
  clusterId?: string;
}

export class Datanode {
  private constructor(
    readonly id: string,
    readonly address: string,
    readonly store: ChunkStore,
    private readonly server: Server,
    private readonly link: NamenodeLink,
    private readonly pool: DataTransferPool,
    private readonly scrubber: Scrubber,
    private readonly idleGc: { stop: () => void },
  ) {}

  static async start(config: DatanodeConfig, log: Logger): Promise<Datanode> {
    await fs.ensureDir(config.dataDir);
    const identityFile = path.join(config.dataDir, 'datanode.json');
    const identity: Identity = (await fs.pathExists(identityFile))
      ? ((await fs.readJson(identityFile)) as Identity)
      : { datanodeId: randomUUID() };
    await writeIdentity(identityFile, identity);
    const store = await ChunkStore.open(config.dataDir);
    store.onDirectRefused = () => log.warn({ dataDir: store.dataDir }, 'the file system refused a direct write (EINVAL): replicas go through the page cache from now on');
    store.onUnlinkFailed = (file, err) => log.warn({ file, err: (err as Error).message }, 'a deleted replica\'s file could not be removed');
    store.stockFreeFiles(config.freeStock ?? 0);
    const callerIdentity = { secret: config.secret, uid: 0, gid: 0, clientId: `datanode-${identity.datanodeId}` };
    const pool = new DataTransferPool(callerIdentity);
    const active = { transfers: 0, served: 0 };

    let address = '';
    // A corrupt replica is deleted here at once (never served again) and reported, so the
    // namenode has it replaced from a good one.
    const onCorrupt = (chunkId: number, gen: number): void => {
      log.warn({ chunkId, gen }, 'corrupt replica: deleting and reporting it');
      void store.delete(chunkId, gen).then(() => link.replicaCorrupt({ chunkId, gen }));
    };
    const sendBuffers = new SendBuffers();
    const replicator = new Replicator(store, pool, onCorrupt, log, active, sendBuffers);
    const link = new NamenodeLink({
      namenode: config.namenode,
      identity: callerIdentity,
      datanodeId: identity.datanodeId,
      address: () => address,
      clusterId: identity.clusterId,
      onClusterId: async (clusterId) => writeIdentity(identityFile, { ...identity, clusterId }),
      heartbeatMs: config.heartbeatMs,
      store,
      active,
      log,
      onReplicate: (order) => replicator.submit(order),
    });
    const server = dataTransferServer({
        datanodeId: identity.datanodeId,
        store,
        tokens: new ChunkTokens(config.secret),
        secret: config.secret,
        pool,
        log,
        onReplicaAdded: (ref) => link.replicaAdded(ref),
        onCorrupt,
        active,
        sendBuffers,
        pipelineDeadlineMs: 10 * 60 * 1000,
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve((server.address() as AddressInfo).port));
    });
    address = `${config.host}:${port}`;
    log.info({ datanodeId: identity.datanodeId, address, replicas: store.count, usedBytes: store.used }, 'datanode started');
    link.start();
    const scrubber = new Scrubber(store, config.scrub, onCorrupt, log);
    scrubber.start();
    const idleGc = collectWhenIdle(() => active.served, log);
    return new Datanode(identity.datanodeId, address, store, server, link, pool, scrubber, idleGc);
  }

  async stop(): Promise<void> {
    this.idleGc.stop();
    this.scrubber.stop();
    this.link.stop();
    this.pool.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.store.drained(); // the namenode was told these replicas are gone: their files go too
  }
}

async function writeIdentity(file: string, identity: Identity): Promise<void> {
  const tmp = `${file}.tmp`;
  await fs.writeJson(tmp, identity);
  await fs.rename(tmp, file);
}
