// Creates answered before the namenode has them.
//
// A create through the mount waited for one namenode round trip, and on this machine's virtual
// CPUs a round trip is a chain of wake-ups: creates ran at about 0.5-0.65x MooseFS's rate
// (docs/PERFORMANCE.md). Unlike an unlink, a create cannot be foreseen from this mount's view
// alone: another client may create the same name first (O_EXCL, lock files), or look for it and
// miss it. So the namenode grants a directory to one mount for a short time
// (namenode/grants.ts), and while the grant lasts that mount answers root's creates there at once
// and sends their calls on its way (docs/ASYNC-METADATA.md).
//
// The grant. The first create of a name this mount knows is absent (complete-dirs.ts) asks for
// it (OpenRequest.want_grant) with a batch of reserved inode numbers (`reserve`). It lasts
// `grant_ms` from the namenode's receipt of that call, and each create answered ahead extends it
// as much from its own receipt. This mount counts from *before* it sends, less a margin
// (`marginMs`), so every create it answered reaches the namenode before the grant ends, as long
// as the network's delay stays under the margin. Another client's operation on the directory's
// names waits the grant out at the namenode and then sees every name answered here; an answer
// with grant_ms 0 means someone waits: this mount stops answering ahead there at once.
//
// A create is answered ahead when:
// - the caller is root (no permission of the directory or its ancestors can refuse it; the
//   namenode creates by the directory's inode and checks it);
// - the directory's names are all known here and confirmed lately, and the name is not among them;
// - this mount holds the directory's grant, and a reserved inode number is left.
// The kernel gets the file as the namenode would make it (mode, root's uid, the caller's gid or
// the directory's under setgid, this machine's time), and a write handle built without a call
// (client/sdk: `handleOfCreated`). The call (`createReserved`, naming the inode and the
// directory's inode) is idempotent, so it is sent again after a lost connection.
//
// Order: as for unlinks answered ahead (early-unlinks.ts), every later namenode call of this
// mount waits for the creates answered before it began (`SyncTracker.runAhead`): a write's lease,
// a commit, a rename or an unlink of the file never overtakes its create.
//
// What differs from a create that waits:
// - The times are this machine's clock, not the namenode's, until the attributes are next fetched.
// - A create that fails for good after it was answered (the namenode still unreachable when an
//   unmount's timeout ends, a name taken by another client after a namenode restart or a network delay past the
//   margin) is logged as an error, the name disappears, and what was written to the file fails
//   (EIO at close). A local disk that loses power loses creates not yet synced the same way;
//   `fsync` of the directory waits for them.
// - A mount killed after answering loses nothing: the kernel is answered once the call is written
//   to the namenode's connection (or the namenode is found unreachable: then the answer does not
//   wait, and the call is sent again once it is back, as long as the mount runs).

import { constants as O } from 'node:fs';
import { retryWhile } from '../../common/backoff.js';
import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import type { Changed } from '../sdk/client.js';
import type { Stats } from '../sdk/stats.js';
import type { WireAttr } from '../sdk/namenode-client.js';
import type { CairnFs } from './cairn-fs.js';
import { monotonicMs } from './fast-lookups.js';
import * as P from './protocol.js';

/** A create answered ahead whose call could not be written: the kernel has no answer yet. */
class NotSent extends Error {}

/** Changes answered ahead and not yet settled, at most (creates and unlinks together). */
export const aheadMax = 64;

/**
 * The call of a change answered ahead, sent again while the namenode cannot be reached (refused,
 * lost or silent connection: as long as the mount runs, `CairnFs.waitsForNamenode`): such calls
 * name their inode, so a second one changes nothing the first did.
 */
export function resendWhileUnreachable<T>(fs: CairnFs, call: () => Promise<T>): Promise<T> {
  const sinceMs = Date.now();
  return retryWhile(call, (err) => fs.waitsForNamenode(sinceMs, err), 100, 1000);
}
/** This mount stops answering ahead this long before the namenode would end the grant. */
const marginMs = 80;
/** Inode numbers reserved at once; more are asked for when fewer than a quarter are left. */
const reserveBatch = 1024;

export interface HeldGrant {
  /** Monotonic time after which this mount answers no more creates ahead in the directory. */
  untilMs: number;
  grantMs: number;
  /** When the last call whose answer confirmed the grant (grant_ms > 0) was sent. */
  confirmedSentMs: number;
  /** The directory's group and mode as last seen (a new file's group under setgid). */
  gid: number;
  mode: number;
}

/** What a new file gets that the mount cannot know alone: from the namenode's answer to a create that waited. */
export interface FileDefaults {
  replication: number;
  chunkSizeBytes: number;
  leaseMs: number;
}

/** The grants this mount holds, and its reserved inode numbers. */
export class CreateGrants {
  private readonly dirs = new Map<number, HeldGrant>();
  private next = 0;
  private end = 0;
  private reserving = false;
  defaults: FileDefaults | undefined;

  /** Whether creates in `dir` may be answered ahead at monotonic time `nowMs`. */
  holds(dir: number, nowMs: number): boolean {
    const grant = this.dirs.get(dir);
    return grant !== undefined && nowMs < grant.untilMs && this.next < this.end && this.defaults !== undefined;
  }

  /** What a create in `dir` should ask for besides itself (OpenRequest.want_grant, reserve). */
  wants(dir: number, nowMs: number): { wantGrant: boolean; reserve: number } {
    const grant = this.dirs.get(dir);
    const reserve = !this.reserving && this.end - this.next < reserveBatch / 4 ? reserveBatch : 0;
    if (reserve > 0) this.reserving = true;
    return { wantGrant: grant === undefined || nowMs >= grant.untilMs - marginMs, reserve };
  }

  /**
   * A create's answer (`sentAtMs`: monotonic time before it was sent; `dirAttr`: the directory
   * after it). A grant_ms of 0 ends the grant here.
   */
  answered(dir: number, sentAtMs: number, grantMs: number, dirAttr: Stats | undefined): void {
    const grant = this.dirs.get(dir);
    if (grantMs <= 0) {
      this.dirs.delete(dir);
      return;
    }
    const untilMs = sentAtMs + grantMs - marginMs;
    // Sent after the grant's end here: it may have ended at the namenode too, and this is another
    // grant (a close answered ahead relies on one grant lasting from its file's create on).
    if (grant === undefined || sentAtMs >= grant.untilMs) {
      if (dirAttr !== undefined) this.dirs.set(dir, { untilMs, grantMs, confirmedSentMs: sentAtMs, gid: dirAttr.gid, mode: dirAttr.mode });
      else this.dirs.delete(dir);
      return;
    }
    grant.untilMs = Math.max(grant.untilMs, untilMs);
    grant.grantMs = grantMs;
    grant.confirmedSentMs = Math.max(grant.confirmedSentMs, sentAtMs);
    if (dirAttr !== undefined) {
      grant.gid = dirAttr.gid;
      grant.mode = dirAttr.mode;
    }
  }

  /** The grant of `dir`, if held. */
  of(dir: number): HeldGrant | undefined {
    return this.dirs.get(dir);
  }

  /**
   * A create in `dir`, begun at monotonic time `sentAtMs`, was written before the grant's end
   * here: the namenode extends the grant from its receipt. Not past what a recalled grant gets
   * (a recall this mount has not heard of yet).
   */
  extendFrom(dir: number, sentAtMs: number): void {
    const grant = this.dirs.get(dir);
    if (grant === undefined) return;
    const cap = grant.confirmedSentMs + limits.grantRecalledExtensionsMax * grant.grantMs - marginMs;
    grant.untilMs = Math.max(grant.untilMs, Math.min(sentAtMs + grant.grantMs - marginMs, cap));
  }

  /** The next reserved inode number, or undefined when none is left. */
  takeInode(): number | undefined {
    return this.next < this.end ? this.next++ : undefined;
  }

  /** A reservation asked for (`wants`) came, or did not (count 0). */
  reserved(from: number, count: number): void {
    this.reserving = false;
    if (count > 0) {
      this.next = from;
      this.end = from + count;
    }
  }

  drop(dir: number): void {
    this.dirs.delete(dir);
  }

  /** The namenode may have restarted (a call found it unreachable): it holds no grants then. */
  dropAll(): void {
    this.dirs.clear();
  }

  sweep(nowMs: number): void {
    for (const [dir, grant] of this.dirs) if (nowMs >= grant.untilMs) this.dirs.delete(dir);
  }
}

/**
 * Names and files with a change answered ahead and not settled. Calls answered ahead are sent in
 * order, but re-sent after a lost connection each on its own backoff, so two of them could land
 * in the wrong order: an unlink before the create it removes (the file comes back), a create
 * before the unlink of the name's previous file (EEXIST). So a name with a change on its way
 * gets no other change answered ahead, and neither does a file whose create is on its way:
 * those wait for their turn behind it (SyncTracker).
 */
export class NamesAhead {
  private readonly names = new Map<string, number>();
  private readonly creates = new Set<number>();

  /** Whether `name` in `dir` (or file `ino`, created ahead) has a change on its way. */
  busy(dir: number, name: string, ino?: number): boolean {
    return this.names.has(`${dir}/${name}`) || (ino !== undefined && this.creates.has(ino));
  }

  /** A change of `name` in `dir` answered ahead (`created`: the file a create made); returns its end. */
  begin(dir: number, name: string, created?: number): () => void {
    const key = `${dir}/${name}`;
    this.names.set(key, (this.names.get(key) ?? 0) + 1);
    if (created !== undefined) this.creates.add(created);
    return () => {
      const left = (this.names.get(key) ?? 1) - 1;
      if (left > 0) this.names.set(key, left);
      else this.names.delete(key);
      if (created !== undefined) this.creates.delete(created);
    };
  }
}

/**
 * Answers a CREATE of `name` in `req.nodeid` before its namenode call when this mount may (see
 * above); returns the reply, or undefined when it may not (the caller then creates the usual way).
 */
export async function createAhead(fs: CairnFs, req: P.FuseRequest, flags: number, mode: number, name: string): Promise<Buffer | undefined> {
  if (fs.o.createsAhead !== true || req.uid !== 0) return undefined;
  const parent = req.nodeid;
  const grants = fs.createGrants;
  const client = fs.caller(req);
  // Over a framed connection that is up: what is written there reaches the namenode in order,
  // and "written" means handed to the kernel (gRPC's channel may still be connecting).
  const may = (): boolean =>
    !fs.closing &&
    client.framedNamenode &&
    grants.holds(parent, monotonicMs()) &&
    fs.complete.lacks(parent, name, monotonicMs()) &&
    !fs.namesAhead.busy(parent, name);
  if (!may()) return undefined;
  const tracker = fs.o.identities.tracker;
  if (tracker.runningAhead >= aheadMax) await tracker.roomAhead(aheadMax);
  const path = fs.nodes.childPath(parent, name);
  if (path === undefined || Buffer.byteLength(name) > limits.nameBytesMax || !may()) return undefined;
  const sentAtMs = monotonicMs();
  const grant = grants.of(parent);
  const ino = grants.takeInode();
  const defaults = grants.defaults;
  if (ino === undefined || grant === undefined || defaults === undefined) return undefined;
  const grantEndMs = grant.untilMs; // before this create extends it
  const end = fs.namesAhead.begin(parent, name, ino);
  fs.o.identities.pin(client);

  // The call first. The kernel hears at once if it was written before the grant's end here
  // ('now'); written later (the connection was slow to take it), once the namenode answered
  // ('reply'); not written at all, never: the create goes the usual way.
  let decide: (how: 'now' | 'reply' | 'unsent') => void = () => undefined;
  const how = new Promise<'now' | 'reply' | 'unsent'>((resolve) => (decide = resolve));
  let settle: (outcome: { err?: unknown; node?: Stats }) => void = () => undefined;
  const settled = new Promise<{ err?: unknown; node?: Stats }>((resolve) => (settle = resolve));
  let answering: 'now' | 'reply' | 'unsent' | undefined;
  tracker.runAhead(async () => {
    let change: Changed | undefined;
    try {
      const reply = await resendWhileUnreachable(fs, async () => {
        try {
          const onSent = (): void => {
            if (answering !== undefined) return;
            answering = monotonicMs() < grantEndMs ? 'now' : 'reply';
            if (answering === 'now') grants.extendFrom(parent, sentAtMs);
            decide(answering);
          };
          return await client.createReserved(path, parent, ino, mode, { ahead: true, onSent, onChanged: (c) => void (change = c) });
        } catch (err) {
          grants.dropAll(); // it may come back restarted, without grants
          if (answering === undefined) throw new NotSent(); // the kernel was not answered: no re-send
          throw err;
        }
      });
      grants.answered(parent, sentAtMs, reply.grantMs, change?.dirs.find((d) => d.ino === parent));
      // Confirms the directory (its version moved by one) or forgets it, as for a create that
      // waits; the file's attributes as the namenode made them (its clock) replace the composed ones.
      fs.changed(req, change, [{ dir: parent, name, added: true }], parent, ino);
      if (change?.node !== undefined) fs.fetched(change.node, req);
      settle(change?.node !== undefined ? { node: change.node } : {});
    } catch (err) {
      settle({ err });
      if (err instanceof NotSent) return; // the create goes the usual way
      grants.drop(parent);
      fs.complete.forget(parent);
      fs.nodes.removed(parent, name);
      fs.invalidate(req, parent, ino);
      // The caller hears of it when it waited for the answer; ESTALE: made, then removed by
      // another client after the answer was lost.
      if (answering === 'now' && !(err instanceof CairnError && err.code === 'ESTALE')) {
        fs.o.log.error({ err, path, ino }, 'a create answered ahead of its namenode call did not go through: the file may not be there');
      }
    } finally {
      if (answering === undefined) {
        answering = 'unsent';
        decide('unsent');
      }
      end();
      fs.o.identities.unpin(client);
    }
  });
  const answer = await how;
  if (answer === 'unsent') return undefined;
  // Nobody else reaches the file while this grant lasts (early-closes.ts vouches for its commit).
  if (answer === 'now') fs.createdAhead.set(ino, { parent, grant });
  let made: Stats | undefined;
  if (answer === 'reply') {
    const outcome = await settled;
    if (outcome.err !== undefined) throw outcome.err;
    made = outcome.node;
  }

  // The file as the namenode makes it (namenode/namespace/inodes.ts newInode): root may keep setgid.
  const now = Date.now();
  const attr: WireAttr = {
    inode: ino,
    type: 'FILE',
    mode: mode & 0o7777,
    uid: req.uid,
    gid: (grant.mode & 0o2000) !== 0 ? grant.gid : req.gid,
    sizeBytes: 0,
    nlink: 1,
    atimeMs: now,
    mtimeMs: now,
    ctimeMs: now,
    replication: defaults.replication,
    chunkSizeBytes: defaults.chunkSizeBytes,
    dirVersion: 0,
    noXattrs: true,
  };
  const handle = client.handleOfCreated(path, attr, defaults.leaseMs);
  const fh = fs.files.adoptCreated(client, handle, (flags & O.O_APPEND) !== 0);
  // This mount's view: the name is there from now on (the kernel holds the directory's lock
  // until it has the answer, so nothing looked in the directory since the call went).
  fs.complete.add(parent, name);
  fs.listings.nameChanged(parent, name);
  if (made === undefined) fs.invalidate(req, parent);
  const a = fs.fetched(made ?? (await handle.stat()), req);
  fs.pageVersions.opened(fh, ino, undefined);
  fs.nodes.remember(parent, name, ino, false);
  fs.o.log.debug({ ino, path, answer }, 'create answered ahead of its call');
  return P.createOut(fs.visible(a), fs.o.cacheMs, fs.attrValidMs(a), fh);
}
