// DatanodeNamenode handlers: registration, heartbeats (answered with commands), chunk reports.
// None of them touches the namespace.

import type * as grpc from '@grpc/grpc-js';
import { CairnError } from '../../common/errors.js';
import { unaryHandler } from '../../common/rpc.js';
import type { DatanodeNamenodeHandlers } from '../../proto/gen/cairn/DatanodeNamenode.js';
import type { NamenodeState } from '../state.js';
import { wireString } from './wire.js';

export function datanodeNamenodeHandlers(state: NamenodeState): DatanodeNamenodeHandlers {
  const { registry, chunks, log } = state;
  const handler = <Req, Res>(fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> =>
    unaryHandler(state.secret, log, (req: Req) => fn(req));
  const clusterId = state.namespace.cluster.clusterId;

  return {
    Register: handler(async (req) => {
      const id = wireString(req.datanodeId, 'datanodeId');
      wireString(req.address, 'address');
      if (req.clusterId !== '' && req.clusterId !== clusterId) {
        throw new CairnError('EINVAL', `datanode ${id} belongs to cluster ${req.clusterId}, this is ${clusterId}`);
      }
      const stats = { capacityBytes: req.capacityBytes, usedBytes: req.usedBytes, availableBytes: req.availableBytes, activeTransfers: 0, chunks: 0 };
      const { isNew, wasDead } = registry.register(id, req.address, stats, state.now());
      // A re-registering node's replicas count again only once its full report arrives.
      chunks.removeDatanode(id);
      log.info({ datanode: id, address: req.address, returning: !isNew, wasDead }, 'datanode registered');
      return { clusterId, heartbeatMs: state.settings.heartbeatMs, fullReportMs: state.settings.fullReportMs };
    }),
    Heartbeat: handler(async (req) => {
      const stats = {
        capacityBytes: req.capacityBytes,
        usedBytes: req.usedBytes,
        availableBytes: req.availableBytes,
        activeTransfers: req.activeTransfers,
        chunks: req.chunks,
      };
      if (!registry.heartbeat(req.datanodeId, stats, state.now())) return { reregister: true, commands: [] };
      const deletes = chunks.takeDeletes(req.datanodeId);
      const orders = state.replicateOrders.get(req.datanodeId) ?? [];
      state.replicateOrders.delete(req.datanodeId);
      const now = state.now();
      const replicate = orders.map((order) => ({
        chunkId: order.chunkId,
        gen: order.gen,
        lengthBytes: order.lengthBytes,
        targets: order.targets.map((t) => ({ id: t.id, address: t.address })),
        token: state.tokens.sign(order.chunkId, order.gen, 'w', now),
      }));
      if (replicate.length > 0) log.debug({ datanode: req.datanodeId, copies: replicate.length }, 'replication ordered');
      return { reregister: false, commands: deletes.length > 0 || replicate.length > 0 ? [{ delete: deletes, replicate }] : [] };
    }),
    ChunkReport: handler(async (req) => {
      if (!registry.isLive(req.datanodeId)) throw new CairnError('EAGAIN', `datanode ${req.datanodeId} must register first`);
      const now = state.now();
      if (req.full) {
        chunks.fullReport(req.datanodeId, req.added, now);
        log.info({ datanode: req.datanodeId, chunks: req.added.length }, 'full chunk report');
      } else {
        for (const ref of req.added) chunks.reportReplica(req.datanodeId, ref, now);
        for (const ref of req.removed) chunks.removeReplica(req.datanodeId, ref.chunkId, ref.gen);
      }
      for (const ref of req.corrupt) {
        log.warn({ datanode: req.datanodeId, chunkId: ref.chunkId, gen: ref.gen }, 'corrupt replica reported');
        chunks.markCorrupt(req.datanodeId, ref.chunkId, ref.gen);
      }
      return {};
    }),
  };
}
