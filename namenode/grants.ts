// Directory grants: a mount that holds a directory's grant may answer creates in it before the
// namenode has them (docs/ASYNC-METADATA.md, client/fuse/early-creates.ts).
//
// A grant is given with a create that asks for it (OpenRequest.want_grant) and lasts `grantMs`
// from the namenode's receipt of that call; every create the holder sends ahead under it
// extends it by as much from its own receipt. The holder stops answering ahead `grantMs` minus
// a margin after it *sent* its last extending call, so every create it answered ahead reaches
// the namenode before the grant ends (on a network whose delay stays under the margin).
//
// Another client's operation that reads or changes the directory's names (a lookup in it, a
// path walked through it, a listing, a create, unlink, rename or link there, rmdir of it) throws
// `GrantHeld` before it changes anything; the namenode then waits the grant out (`waitOut`) and
// runs the operation again. So it sees every create the holder answered ahead, and an O_EXCL
// create of the same name fails as it would have. The wait marks the grant recalled: the
// holder's next answers say so (grant_ms 0) and it stops answering ahead; the creates it
// already sent still extend the grant, so the wait ends shortly after its last one. After a
// grant ends that way the directory is shared: no grant is given there while other clients
// keep using it (`sharedMs` since their last use).
//
// Nothing here is on disk: a restarted namenode holds no grants, and a holder's creates sent
// again after the restart are checked like any create (a name taken meanwhile is EEXIST).

import { setImmediate as nextTurn } from 'node:timers/promises';
import { limits } from '../common/limits.js';

/** Thrown by an operation that touched a directory another client holds the grant of. */
export class GrantHeld extends Error {
  constructor(readonly dir: number) {
    super(`directory ${dir} is granted to another client`);
  }
}

interface Grant {
  holder: string;
  untilMs: number;
  /** Since when another client waits for it (the holder is told to stop); undefined: nobody. */
  recalledAtMs: number | undefined;
}

export class DirGrants {
  private readonly held = new Map<number, Grant>();
  /** Directories whose grant another client waited out, until they have been left alone for `sharedMs`. */
  private readonly shared = new Map<number, { formerHolder: string; untilMs: number }>();

  constructor(
    private readonly now: () => number,
    readonly grantMs = 200,
    private readonly sharedMs = 10_000,
  ) {}

  /** Throws GrantHeld when `dir` is granted to a client other than `clientId`; notes a use of a shared directory. */
  guard(clientId: string, dir: number): void {
    if (this.held.size > 0) {
      const grant = this.held.get(dir);
      if (grant !== undefined && grant.holder !== clientId) throw new GrantHeld(dir);
    }
    if (this.shared.size > 0) {
      const shared = this.shared.get(dir);
      if (shared !== undefined && shared.formerHolder !== clientId) shared.untilMs = this.now() + this.sharedMs;
    }
  }

  /**
   * A create of `caller` in `dir` asks for the grant: how long it holds it (0: not given). Root's
   * only, as only root's creates are answered ahead, and only to a client that names itself.
   */
  give(caller: { clientId: string; uid: number }, dir: number): number {
    const clientId = caller.clientId;
    if (caller.uid !== 0 || clientId === '') return 0;
    const now = this.now();
    const shared = this.shared.get(dir);
    if (shared !== undefined) {
      if (shared.untilMs > now) return 0;
      this.shared.delete(dir);
    }
    const grant = this.held.get(dir);
    if (grant !== undefined && grant.holder !== clientId) return 0; // guard() let the create through: cannot be
    if (grant?.recalledAtMs !== undefined) return 0;
    this.held.set(dir, { holder: clientId, untilMs: now + this.grantMs, recalledAtMs: undefined });
    return this.grantMs;
  }

  /**
   * A create the holder answered ahead was received (called as it arrives, before it waits for
   * its turn among the transactions): the grant lasts `grantMs` from now, recalled or not (the
   * holder counted on it when it answered), though a recalled grant not past a few lengths (a
   * holder that does not stop). Returns how long it holds it (0: it holds no grant here, or must
   * stop answering ahead).
   */
  extend(clientId: string, dir: number): number {
    const grant = this.held.get(dir);
    if (grant === undefined || grant.holder !== clientId) return 0;
    const now = this.now();
    const cap = grant.recalledAtMs === undefined ? Infinity : grant.recalledAtMs + limits.grantRecalledExtensionsMax * this.grantMs;
    grant.untilMs = Math.max(grant.untilMs, Math.min(now + this.grantMs, cap));
    return grant.recalledAtMs === undefined ? this.grantMs : 0;
  }

  /**
   * Waits until `dir`'s grant has ended: past its end, and after one look at the connections
   * (a timer may fire before the holder's calls already received are read: they are read, and
   * their transactions queued, in the poll that follows). Then the directory is shared.
   */
  async waitOut(dir: number): Promise<void> {
    const grant = this.held.get(dir);
    if (grant === undefined) return;
    grant.recalledAtMs ??= this.now();
    for (;;) {
      const left = grant.untilMs - this.now();
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
      await nextTurn();
      if (this.held.get(dir) !== grant) return; // another waiter ended it
      if (grant.untilMs <= this.now()) break; // not extended meanwhile
    }
    this.held.delete(dir);
    this.shared.set(dir, { formerHolder: grant.holder, untilMs: this.now() + this.sharedMs });
  }

  /** Forgets grants long ended and directories no longer shared (memory). */
  sweep(): void {
    const now = this.now();
    for (const [dir, grant] of this.held) if (grant.untilMs + 10 * this.grantMs < now) this.held.delete(dir);
    for (const [dir, shared] of this.shared) if (shared.untilMs < now) this.shared.delete(dir);
  }

  get size(): number {
    return this.held.size;
  }
}

/**
 * Inode numbers reserved for clients' creates answered ahead, and which of them were made, so
 * that a create sent again after its answer was lost makes nothing when its file was made and
 * removed since. In memory, a range for `keepMs` after its last use (a client re-sends for at
 * most its call timeout). Ranges come from one counter, so they never overlap and arrive sorted.
 */
export class ReservedInodes {
  private ranges: Array<{ clientId: string; from: number; end: number; made: Uint8Array; usedMs: number }> = [];

  constructor(
    private readonly now: () => number,
    private readonly keepMs = 10 * 60 * 1000,
  ) {}

  reserve(clientId: string, from: number, count: number): void {
    this.ranges.push({ clientId, from, end: from + count, made: new Uint8Array(Math.ceil(count / 8)), usedMs: this.now() });
  }

  private find(ino: number): (typeof this.ranges)[number] | undefined {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const range = this.ranges[mid] as (typeof this.ranges)[number];
      if (ino < range.from) hi = mid - 1;
      else if (ino >= range.end) lo = mid + 1;
      else return range;
    }
    return undefined;
  }

  /**
   * What reserved inode `ino` is to `clientId`: 'fresh' (reserved for it, not made yet), 'made'
   * (made by an earlier call), 'foreign' (reserved for another client), or 'unknown' (not
   * reserved since this namenode started, or not used for `keepMs`).
   */
  state(clientId: string, ino: number): 'fresh' | 'made' | 'foreign' | 'unknown' {
    const range = this.find(ino);
    if (range === undefined) return 'unknown';
    if (range.clientId !== clientId) return 'foreign';
    const bit = ino - range.from;
    return ((range.made[bit >> 3] as number) & (1 << (bit & 7))) !== 0 ? 'made' : 'fresh';
  }

  /** File `ino` was made from its reservation. */
  made(ino: number): void {
    const range = this.find(ino);
    if (range === undefined) return;
    const bit = ino - range.from;
    range.made[bit >> 3] = (range.made[bit >> 3] as number) | (1 << (bit & 7));
    range.usedMs = this.now();
  }

  sweep(): void {
    const before = this.now() - this.keepMs;
    if (this.ranges.some((r) => r.usedMs < before)) this.ranges = this.ranges.filter((r) => r.usedMs >= before);
  }
}
