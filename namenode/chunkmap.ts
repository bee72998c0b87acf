// Where each chunk's replicas are. Not persisted: rebuilt from the namespace's chunk records
// (what should exist) and datanode chunk reports (what does exist), as in GFS and HDFS.
// Pure state; the service feeds it reports and namespace changes and drains its commands.
//
// Invariants:
//  - a replica counts only if its generation stamp equals the namespace's current stamp;
//  - a replica with an older stamp is stale: it is deleted, never served;
//  - a replica of an unknown chunk, or with a newer stamp than committed (a write in flight or
//    abandoned), is left alone for `orphanGraceMs`, then deleted.

export interface ChunkRef {
  chunkId: number;
  gen: number;
  lengthBytes: number;
}

interface Expected {
  gen: number;
  len: number;
}

export class ChunkMap {
  private readonly expected = new Map<number, Expected>();
  /** chunkId -> datanode id -> stamp that datanode holds */
  private readonly replicas = new Map<number, Map<string, number>>();
  private readonly byDatanode = new Map<string, Set<number>>();
  private readonly deletes = new Map<string, ChunkRef[]>();
  private readonly orphansSeenMs = new Map<string, number>();
  private readonly corrupt = new Map<number, Set<string>>();

  constructor(private readonly orphanGraceMs: number) {}

  /** The namespace says (chunkId, gen) is current (at start, or after a commit). */
  setExpected(chunkId: number, gen: number, len: number): void {
    this.expected.set(chunkId, { gen, len });
    for (const [dn, held] of this.replicas.get(chunkId) ?? []) {
      if (held < gen) this.dropReplica(dn, chunkId, held, true);
    }
  }

  /** A pipeline acknowledged (chunkId, gen) on `datanodeIds`: they count at once. */
  commit(chunkId: number, gen: number, len: number, datanodeIds: readonly string[]): void {
    // Expected first: that marks the superseded version's replicas stale and queues their deletion.
    this.setExpected(chunkId, gen, len);
    for (const dn of datanodeIds) this.recordReplica(dn, chunkId, gen);
  }

  /** The namespace no longer has the chunk: every replica of it is deleted. */
  forget(chunkId: number): void {
    this.expected.delete(chunkId);
    this.corrupt.delete(chunkId);
    for (const [dn, held] of this.replicas.get(chunkId) ?? []) this.dropReplica(dn, chunkId, held, true);
    this.replicas.delete(chunkId);
  }

  /** One replica reported by a datanode (full or incremental report). */
  reportReplica(dn: string, ref: ChunkRef, nowMs: number): void {
    const want = this.expected.get(ref.chunkId);
    if (want !== undefined && ref.gen === want.gen) {
      this.recordReplica(dn, ref.chunkId, ref.gen);
      return;
    }
    if (want !== undefined && ref.gen < want.gen) {
      this.queueDelete(dn, ref);
      return;
    }
    const key = `${dn}/${ref.chunkId}/${ref.gen}`;
    const seen = this.orphansSeenMs.get(key);
    if (seen === undefined) this.orphansSeenMs.set(key, nowMs);
    else if (nowMs - seen >= this.orphanGraceMs) {
      this.orphansSeenMs.delete(key);
      this.queueDelete(dn, ref);
    }
  }

  /** A datanode says it no longer holds a replica. */
  removeReplica(dn: string, chunkId: number, gen: number): void {
    const holders = this.replicas.get(chunkId);
    if (holders?.get(dn) === gen) this.dropReplica(dn, chunkId, gen, false);
  }

  /** A full report: exactly `refs` are on the node; anything else it was thought to hold is gone. */
  fullReport(dn: string, refs: readonly ChunkRef[], nowMs: number): void {
    const reported = new Set(refs.map((ref) => ref.chunkId));
    for (const chunkId of [...(this.byDatanode.get(dn) ?? [])]) {
      if (!reported.has(chunkId)) this.dropReplica(dn, chunkId, this.replicas.get(chunkId)?.get(dn) ?? 0, false);
    }
    for (const ref of refs) this.reportReplica(dn, ref, nowMs);
  }

  /** A datanode died: none of its replicas count any more. */
  removeDatanode(dn: string): void {
    for (const chunkId of this.byDatanode.get(dn) ?? []) this.replicas.get(chunkId)?.delete(dn);
    this.byDatanode.delete(dn);
    this.deletes.delete(dn);
  }

  markCorrupt(dn: string, chunkId: number, gen: number): void {
    let set = this.corrupt.get(chunkId);
    if (set === undefined) this.corrupt.set(chunkId, (set = new Set()));
    set.add(dn);
    this.dropReplica(dn, chunkId, gen, true);
  }

  /** Datanodes holding exactly (chunkId, gen), filtered by `isLive`. */
  holders(chunkId: number, gen: number, isLive: (dn: string) => boolean): string[] {
    const out: string[] = [];
    for (const [dn, held] of this.replicas.get(chunkId) ?? []) if (held === gen && isLive(dn)) out.push(dn);
    return out;
  }

  corruptCount(chunkId: number): number {
    return this.corrupt.get(chunkId)?.size ?? 0;
  }

  chunksOn(dn: string): number {
    return this.byDatanode.get(dn)?.size ?? 0;
  }

  expectedCount(): number {
    return this.expected.size;
  }

  /** Commands for one datanode (drained). */
  takeDeletes(dn: string): ChunkRef[] {
    const refs = this.deletes.get(dn) ?? [];
    this.deletes.delete(dn);
    return refs;
  }

  private recordReplica(dn: string, chunkId: number, gen: number): void {
    let holders = this.replicas.get(chunkId);
    if (holders === undefined) this.replicas.set(chunkId, (holders = new Map()));
    holders.set(dn, gen);
    let held = this.byDatanode.get(dn);
    if (held === undefined) this.byDatanode.set(dn, (held = new Set()));
    held.add(chunkId);
  }

  private dropReplica(dn: string, chunkId: number, gen: number, deleteOnNode: boolean): void {
    this.replicas.get(chunkId)?.delete(dn);
    if (this.replicas.get(chunkId)?.size === 0) this.replicas.delete(chunkId);
    this.byDatanode.get(dn)?.delete(chunkId);
    if (deleteOnNode) this.queueDelete(dn, { chunkId, gen, lengthBytes: 0 });
  }

  private queueDelete(dn: string, ref: ChunkRef): void {
    let list = this.deletes.get(dn);
    if (list === undefined) this.deletes.set(dn, (list = []));
    list.push({ chunkId: ref.chunkId, gen: ref.gen, lengthBytes: 0 });
  }
}
