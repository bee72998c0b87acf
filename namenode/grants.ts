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

/** Thrown by an operation that touched a directory another client holds the grant of. */
export class GrantHeld extends Error {
  constructor(readonly dir: number) {
    super(`directory ${dir} is granted to another client`);
  }
}

interface Grant {
  holder: string;
  untilMs: number;
  /** Another client waits for it: the holder is told to stop. */
  recalled: boolean;
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

  /** A create of `clientId` in `dir` asks for the grant: how long it holds it (0: not given). */
  give(clientId: string, dir: number): number {
    const now = this.now();
    const shared = this.shared.get(dir);
    if (shared !== undefined) {
      if (shared.untilMs > now) return 0;
      this.shared.delete(dir);
    }
    const grant = this.held.get(dir);
    if (grant !== undefined && grant.holder !== clientId) return 0; // guard() let the create through: cannot be
    if (grant?.recalled === true) return 0;
    this.held.set(dir, { holder: clientId, untilMs: now + this.grantMs, recalled: false });
    return this.grantMs;
  }

  /**
   * A create the holder answered ahead arrived: the grant lasts `grantMs` from now, recalled or
   * not (the holder counted on it when it answered). Returns how long it holds it (0: it holds
   * no grant here, or must stop answering ahead).
   */
  extend(clientId: string, dir: number): number {
    const grant = this.held.get(dir);
    if (grant === undefined || grant.holder !== clientId) return 0;
    grant.untilMs = Math.max(grant.untilMs, this.now() + this.grantMs);
    return grant.recalled ? 0 : this.grantMs;
  }

  /**
   * Waits until `dir`'s grant has ended: past its end, and after one look at the connections
   * (a timer may fire before the holder's calls already received are read: they are read, and
   * their transactions queued, in the poll that follows). Then the directory is shared.
   */
  async waitOut(dir: number): Promise<void> {
    const grant = this.held.get(dir);
    if (grant === undefined) return;
    grant.recalled = true;
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
