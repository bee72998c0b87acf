// The SDK's typed, promise-returning view of the ClientNamenode service.

import * as grpc from '@grpc/grpc-js';
import { CairnError } from '../../common/errors.js';
import { cairnProto, callUnary, channelOptions, validateHostPort, type Identity } from '../../common/rpc.js';
import type { ClientNamenodeClient } from '../../proto/gen/cairn/ClientNamenode.js';
import type { AttrReply__Output } from '../../proto/gen/cairn/AttrReply.js';
import type { CommitChunkRequest } from '../../proto/gen/cairn/CommitChunkRequest.js';
import type { FsckReply__Output } from '../../proto/gen/cairn/FsckReply.js';
import type { GetChunksReply__Output } from '../../proto/gen/cairn/GetChunksReply.js';
import type { MkdirRequest } from '../../proto/gen/cairn/MkdirRequest.js';
import type { OpenReply__Output } from '../../proto/gen/cairn/OpenReply.js';
import type { OpenRequest } from '../../proto/gen/cairn/OpenRequest.js';
import type { PrepareChunkReply__Output } from '../../proto/gen/cairn/PrepareChunkReply.js';
import type { ReaddirReply__Output } from '../../proto/gen/cairn/ReaddirReply.js';
import type { ReportReply__Output } from '../../proto/gen/cairn/ReportReply.js';
import type { SetAttrRequest } from '../../proto/gen/cairn/SetAttrRequest.js';
import type { SetXattrRequest } from '../../proto/gen/cairn/SetXattrRequest.js';
import type { StatfsReply__Output } from '../../proto/gen/cairn/StatfsReply.js';
import type { XattrReply__Output } from '../../proto/gen/cairn/XattrReply.js';
import type { Attr__Output } from '../../proto/gen/cairn/Attr.js';

export type WireAttr = Attr__Output;

export class NamenodeClient {
  private readonly client: ClientNamenodeClient;

  constructor(
    readonly address: string,
    private readonly identity: Identity,
    private readonly deadlineMs: number,
  ) {
    validateHostPort(address, 'namenode address');
    const Ctor = cairnProto().cairn.ClientNamenode;
    this.client = new Ctor(address, grpc.credentials.createInsecure(), channelOptions);
  }

  /**
   * One call with credentials and a deadline. EROFS means the namenode is in safe mode after a
   * restart: the call is retried with backoff until the deadline, as HDFS clients wait it out.
   */
  private async call<Req, Res>(method: (...args: never[]) => unknown, req: Req): Promise<Res> {
    const deadline = Date.now() + this.deadlineMs;
    for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 1000)) {
      try {
        return await callUnary<Req, Res>(this.client, method as never, req, this.identity, Math.max(1, deadline - Date.now()));
      } catch (err) {
        if (!(err instanceof CairnError) || err.code !== 'EROFS' || Date.now() + delayMs >= deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  private async attr(method: (...args: never[]) => unknown, req: object): Promise<WireAttr> {
    const reply = await this.call<object, AttrReply__Output>(method, req);
    return reply.attr as WireAttr;
  }

  mkdir(req: MkdirRequest): Promise<WireAttr> {
    return this.attr(this.client.Mkdir, req);
  }
  stat(path: string, follow: boolean): Promise<WireAttr> {
    return this.attr(this.client.Stat, { path, follow });
  }
  readdir(path: string, startAfter: string, limit = 0): Promise<ReaddirReply__Output> {
    return this.call(this.client.Readdir, { path, startAfter, limit });
  }
  async rename(src: string, dst: string): Promise<void> {
    await this.call(this.client.Rename, { src, dst });
  }
  async unlink(path: string): Promise<void> {
    await this.call(this.client.Unlink, { path });
  }
  async rmdir(path: string): Promise<void> {
    await this.call(this.client.Rmdir, { path });
  }
  setAttr(req: SetAttrRequest): Promise<WireAttr> {
    return this.attr(this.client.SetAttr, req);
  }
  symlink(target: string, path: string): Promise<WireAttr> {
    return this.attr(this.client.Symlink, { target, path });
  }
  async readlink(path: string): Promise<string> {
    return (await this.call<object, { target: string }>(this.client.Readlink, { path })).target;
  }
  setReplication(path: string, replication: number): Promise<WireAttr> {
    return this.attr(this.client.SetReplication, { path, replication });
  }
  link(existing: string, path: string): Promise<WireAttr> {
    return this.attr(this.client.Link, { existing, path });
  }
  async setXattr(req: SetXattrRequest): Promise<void> {
    await this.call(this.client.SetXattr, req);
  }
  async getXattr(path: string, name: string, follow: boolean): Promise<Buffer> {
    return (await this.call<object, XattrReply__Output>(this.client.GetXattr, { path, name, follow })).value;
  }
  async listXattr(path: string, follow: boolean): Promise<string[]> {
    return (await this.call<object, XattrReply__Output>(this.client.ListXattr, { path, follow })).names;
  }
  async removeXattr(path: string, name: string, follow: boolean): Promise<void> {
    await this.call(this.client.RemoveXattr, { path, name, follow });
  }
  statfs(): Promise<StatfsReply__Output> {
    return this.call(this.client.Statfs, {});
  }
  open(req: OpenRequest): Promise<OpenReply__Output> {
    return this.call(this.client.Open, req);
  }
  async close(inode: number): Promise<void> {
    await this.call(this.client.CloseFile, { inode });
  }
  async renewLease(): Promise<void> {
    await this.call(this.client.RenewLease, {});
  }
  getChunks(inode: number, fromIndex: number, count = 0): Promise<GetChunksReply__Output> {
    return this.call(this.client.GetChunks, { inode, fromIndex, count });
  }
  prepareChunk(inode: number, index: number, excludeDatanodes: string[]): Promise<PrepareChunkReply__Output> {
    return this.call(this.client.PrepareChunk, { inode, index, excludeDatanodes });
  }
  commitChunk(req: CommitChunkRequest): Promise<WireAttr> {
    return this.attr(this.client.CommitChunk, req);
  }
  /** Every namespace change acknowledged so far is on the namenode's disk when this returns. */
  async sync(): Promise<void> {
    await this.call(this.client.Sync, {});
  }
  truncate(inode: number, sizeBytes: number): Promise<WireAttr> {
    return this.attr(this.client.Truncate, { inode, sizeBytes });
  }
  fsck(path: string): Promise<FsckReply__Output> {
    return this.call(this.client.Fsck, { path, follow: true });
  }
  report(): Promise<ReportReply__Output> {
    return this.call(this.client.Report, {});
  }
  async decommission(datanodeId: string): Promise<void> {
    await this.call(this.client.Decommission, { datanodeId });
  }

  shutdown(): void {
    this.client.close();
  }
}
