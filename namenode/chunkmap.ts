// Where each chunk's replicas are. Not persisted: rebuilt from the namespace's chunk records
// (what should exist: stamp, length, wanted replicas) and datanode chunk reports (what does
// exist), as in GFS and HDFS. Pure state; the namenode feeds it reports and namespace changes,
// the replication planner reads it, and heartbeat replies drain its delete commands.
//
// Invariants:
//  - a replica counts only if its generation stamp equals the namespace's current stamp;
//  - a replica with an older stamp is stale: it is deleted, never served;
//  - a replica of an unknown chunk, or with a newer stamp than committed (a write in flight or
//    abandoned), is left alone for `orphanGraceMs`, then deleted;
//  - every chunk whose replicas may no longer match its wanted count is in `attention` until
//    the planner has looked at it.

export interface ChunkRef {
  chunkId: number;
  gen: number;
  lengthBytes: number;
}

export interface Expected {
  gen: number;
  len: number;
  rep: number;
  ino: number;
}

export class ChunkMap {
  private readonly expected = new Map<number, Expected>();
  /** chunkId -> datanode id -> stamp that datanode holds */
  private readonly replicas = new Map<number, Map<string, number>>();
  private readonly byDatanode = new Map<string, Set<number>>();
  private readonly deletes = new Map<string, ChunkRef[]>();
  /**
   * Deletions ordered and not yet confirmed by the datanode. Such a
   * node is not chosen to receive a copy of that chunk (the delete could land after the copy and
   * take it), and its reports of that replica are stale.
   */
  private readonly deleting = new Map<string, Set<number>>(); // "<dn>/<chunkId>" -> stamps
  private readonly orphansSeenMs = new Map<string, number>();
  private readonly corrupt = new Map<number, Set<string>>();
  private attention = new Set<number>();

  constructor(private readonly orphanGraceMs: number) {}

  /** The namespace says (chunkId, gen) is current (at start, or after a commit). */
  setExpected(chunkId: number, expected: Expected): void {
    this.expected.set(chunkId, expected);
    for (const [dn, held] of this.replicas.get(chunkId) ?? []) {
      if (held < expected.gen) this.dropReplica(dn, chunkId, held, true);
    }
    this.attention.add(chunkId);
  }

  /** A pipeline acknowledged (chunkId, gen) on `datanodeIds`: they count at once. */
  commit(chunkId: number, expected: Expected, datanodeIds: readonly string[]): void {
    // Expected first: that marks the superseded version's replicas stale and queues their deletion.
    this.setExpected(chunkId, expected);
    for (const dn of datanodeIds) this.recordReplica(dn, chunkId, expected.gen);
  }

  setReplication(chunkId: number, rep: number): void {
    const expected = this.expected.get(chunkId);
    if (expected === undefined) return;
    expected.rep = rep;
    this.attention.add(chunkId);
  }

  /** The namespace no longer has the chunk: every replica of it is deleted. */
  forget(chunkId: number): void {
    this.expected.delete(chunkId);
    this.corrupt.delete(chunkId);
    for (const [dn, held] of this.replicas.get(chunkId) ?? []) this.dropReplica(dn, chunkId, held, true);
    this.replicas.delete(chunkId);
    this.attention.add(chunkId);
  }

  /** One replica reported by a datanode (full or incremental report). */
  reportReplica(dn: string, ref: ChunkRef, nowMs: number): void {
    if (this.deleting.get(`${dn}/${ref.chunkId}`)?.has(ref.gen) === true) return; // on its way out
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
    if (this.confirmDeleted(dn, chunkId, gen)) this.attention.add(chunkId);
    const holders = this.replicas.get(chunkId);
    if (holders?.get(dn) === gen) this.dropReplica(dn, chunkId, gen, false);
  }

  /** A full report: exactly `refs` are on the node; anything else it was thought to hold is gone. */
  fullReport(dn: string, refs: readonly ChunkRef[], nowMs: number): void {
    const reported = new Set(refs.map((ref) => ref.chunkId));
    const reportedVersions = new Set(refs.map((ref) => `${ref.chunkId}/${ref.gen}`));
    for (const [key, gens] of [...this.deleting]) {
      if (!key.startsWith(`${dn}/`)) continue;
      const chunkId = Number(key.slice(dn.length + 1));
      for (const gen of [...gens]) if (!reportedVersions.has(`${chunkId}/${gen}`) && this.confirmDeleted(dn, chunkId, gen)) this.attention.add(chunkId);
    }
    for (const chunkId of [...(this.byDatanode.get(dn) ?? [])]) {
      if (!reported.has(chunkId)) this.dropReplica(dn, chunkId, this.replicas.get(chunkId)?.get(dn) ?? 0, false);
    }
    for (const ref of refs) this.reportReplica(dn, ref, nowMs);
  }

  /** A datanode died or registered again: none of its replicas count until it reports. */
  removeDatanode(dn: string): void {
    for (const chunkId of this.byDatanode.get(dn) ?? []) {
      this.replicas.get(chunkId)?.delete(dn);
      this.attention.add(chunkId);
    }
    this.byDatanode.delete(dn);
    this.deletes.delete(dn);
    for (const key of [...this.deleting.keys()]) if (key.startsWith(`${dn}/`)) this.deleting.delete(key);
  }

  /** Whether a deletion of some version of `chunkId` on `dn` is ordered and not yet confirmed. */
  isDeleting(dn: string, chunkId: number): boolean {
    return this.deleting.has(`${dn}/${chunkId}`);
  }

  /** Forgets an ordered deletion the datanode confirmed; whether there was one. */
  private confirmDeleted(dn: string, chunkId: number, gen: number): boolean {
    const key = `${dn}/${chunkId}`;
    const gens = this.deleting.get(key);
    if (gens?.delete(gen) !== true) return false;
    if (gens.size === 0) this.deleting.delete(key);
    return true;
  }

  /** A replica failed its checksums: it no longer counts, is deleted, and the chunk is marked. */
  markCorrupt(dn: string, chunkId: number, gen: number): void {
    const expected = this.expected.get(chunkId);
    if (expected === undefined || expected.gen !== gen) return;
    let set = this.corrupt.get(chunkId);
    if (set === undefined) this.corrupt.set(chunkId, (set = new Set()));
    set.add(dn);
    this.dropReplica(dn, chunkId, gen, true);
  }

  clearCorrupt(chunkId: number): void {
    this.corrupt.delete(chunkId);
  }

  /** Deletes one replica on purpose (over-replication). */
  trim(dn: string, chunkId: number): void {
    const held = this.replicas.get(chunkId)?.get(dn);
    if (held !== undefined) this.dropReplica(dn, chunkId, held, true);
  }

  /** Datanodes holding exactly (chunkId, gen), filtered by `isLive`. */
  holders(chunkId: number, gen: number, isLive: (dn: string) => boolean): string[] {
    const out: string[] = [];
    for (const [dn, held] of this.replicas.get(chunkId) ?? []) if (held === gen && isLive(dn)) out.push(dn);
    return out;
  }

  /** Datanodes holding the current version of a chunk. */
  currentHolders(chunkId: number, isLive: (dn: string) => boolean): string[] {
    const expected = this.expected.get(chunkId);
    return expected === undefined ? [] : this.holders(chunkId, expected.gen, isLive);
  }

  expectedOf(chunkId: number): Expected | undefined {
    return this.expected.get(chunkId);
  }

  /** Chunks that need the planner's look (drained). */
  takeAttention(): number[] {
    const ids = [...this.attention];
    this.attention = new Set();
    return ids;
  }

  /** Puts every chunk on a datanode back in front of the planner (decommissioning it). */
  attendTo(dn: string): void {
    for (const chunkId of this.byDatanode.get(dn) ?? []) this.attention.add(chunkId);
  }

  chunkIdsOn(dn: string): number[] {
    return [...(this.byDatanode.get(dn) ?? [])];
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

  /** Chunks with at least one live current replica (safe mode waits for most of them). */
  reportedCount(isLive: (dn: string) => boolean): number {
    let count = 0;
    for (const [chunkId, expected] of this.expected) if (this.holders(chunkId, expected.gen, isLive).length > 0) count++;
    return count;
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
    this.attention.add(chunkId);
  }

  private dropReplica(dn: string, chunkId: number, gen: number, deleteOnNode: boolean): void {
    this.replicas.get(chunkId)?.delete(dn);
    if (this.replicas.get(chunkId)?.size === 0) this.replicas.delete(chunkId);
    this.byDatanode.get(dn)?.delete(chunkId);
    if (deleteOnNode) this.queueDelete(dn, { chunkId, gen, lengthBytes: 0 });
    this.attention.add(chunkId);
  }

  private queueDelete(dn: string, ref: ChunkRef): void {
    const key = `${dn}/${ref.chunkId}`;
    let gens = this.deleting.get(key);
    if (gens === undefined) this.deleting.set(key, (gens = new Set()));
    gens.add(ref.gen);
    let list = this.deletes.get(dn);
    if (list === undefined) this.deletes.set(dn, (list = []));
    list.push({ chunkId: ref.chunkId, gen: ref.gen, lengthBytes: 0 });
  }
}
