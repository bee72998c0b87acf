// Unlinks answered before the namenode has them.
//
// An unlink through the mount waited for one namenode round trip, and a round trip here is a
// chain of wake-ups of other virtual CPUs (docs/PERFORMANCE.md): `rm` of many files ran at about
// 0.7x MooseFS's rate. When this mount knows the answer the namenode would give, it now answers
// the kernel at once and sends the call on its way (docs/ASYNC-METADATA.md).
//
// It knows the answer when:
// - the directory's every name is known here and confirmed lately (complete-dirs.ts), and the
//   name is in it, with the inode this mount last saw there;
// - the file is not open on this mount (that needs hiding, ops-names.ts), and holds no
//   attribute changes waiting to be sent;
// - the caller may remove it: root, or the directory's attributes cached here grant write and
//   search, and the sticky bit does not forbid it.
//
// Order: every later namenode call of this mount waits until the unlinks answered ahead of it
// are settled (`SyncTracker.runAhead`), so this mount never sees the name again and a create of
// the same name cannot overtake the unlink. An fsync of the directory waits the same way.
//
// The call names the inode (PathRequest.expect_inode): it removes the name only while it still
// names that file, so it is sent again after a lost connection (a namenode restart) without
// removing a file made under the name since, and ENOENT means the name is gone either way.
//
// What differs from an unlink that waits:
// - Another mount may see the name until the call arrives (well under a millisecond), where it
//   may already see it for up to --cache-ms from its own caches.
// - A name another client replaced within --cache-ms (the bound of every name this mount
//   caches) is left in place: this unlink is taken as having come first.
// - If the call fails for good (the namenode unreachable for the mount's whole timeout, or a
//   refusal this mount could not foresee, such as a chmod of the directory made elsewhere
//   within --cache-ms), the unlink did not happen: the mount logs it as an error and the name
//   shows again once the kernel's entry expires (--cache-ms). A local file system that loses
//   power loses unlinks not yet synced the same way; `fsync` of the directory waits for them.
// - A mount killed after answering loses nothing: the call is written to the namenode's
//   connection in the same turn, before any other I/O.

import { CairnError } from '../../common/errors.js';
import { permits, W, X } from '../../common/access.js';
import type { CairnFs } from './cairn-fs.js';
import type { Changed } from '../sdk/client.js';
import { monotonicMs } from './fast-lookups.js';
import type * as P from './protocol.js';

/** Unlinks answered ahead and not yet settled, at most; the next one waits for room. */
export const unlinksAheadMax = 64;

/**
 * Answers an UNLINK of `name` in `req.nodeid` before its namenode call when this mount knows
 * what the namenode would answer (see above); returns false when it does not (the caller then
 * unlinks the usual way).
 */
export async function unlinkAhead(fs: CairnFs, req: P.FuseRequest, name: string): Promise<boolean> {
  if (!fs.o.unlinksAhead) return false;
  const tracker = fs.o.identities.tracker;
  if (tracker.runningAhead >= unlinksAheadMax) await tracker.roomAhead(unlinksAheadMax);
  const parent = req.nodeid;
  const ino = fs.nodes.idsOf(parent, name)[0];
  const path = fs.nodes.childPath(parent, name);
  if (ino === undefined || path === undefined || !fs.complete.holds(parent, name, monotonicMs())) return false;
  if (fs.files.openAfterReleases(ino) || fs.hidden.has(ino) || fs.pending.peek(ino) !== undefined) return false;
  if (!mayRemove(fs, req, parent, ino)) return false;

  // This mount's view first: the name is gone from now on.
  fs.complete.drop(parent, name);
  fs.listings.nameChanged(parent, name);
  fs.nodes.removed(parent, name);
  fs.invalidate(req, parent, ino);
  const client = fs.caller(req);
  fs.o.identities.pin(client);
  fs.o.log.debug({ ino, path }, 'unlink answered ahead of its call');
  tracker.runAhead(async () => {
    try {
      let change: Changed | undefined;
      await sendAgainWhileUnreachable(fs.o.timeoutMs, () => client.unlink(path, { expectIno: ino, onChanged: (c) => void (change = c) }));
      fs.changed(req, change, [{ dir: parent, name, added: false }], parent, ino);
    } catch (err) {
      // The name is gone either way on ENOENT; otherwise this mount's view of it was wrong.
      if (!(err instanceof CairnError && err.code === 'ENOENT')) fs.o.log.error({ err, path }, 'an unlink answered ahead of its namenode call failed: the file is still there');
      fs.complete.forget(parent);
      fs.invalidate(req, parent, ino);
    } finally {
      fs.o.identities.unpin(client);
    }
  });
  return true;
}

/** Whether the namenode would let the caller remove a name in `parent` (access.ts, remove.ts's sticky check), as far as this mount can tell. */
function mayRemove(fs: CairnFs, req: P.FuseRequest, parent: number, ino: number): boolean {
  if (req.uid === 0) return true;
  const now = Date.now();
  const dir = fs.attrs.get(parent, now);
  const caller = { uid: req.uid, gid: req.gid };
  if (dir === undefined || !permits(dir, dir.mode & 0o7777, true, caller, W | X)) return false;
  if ((dir.mode & 0o1000) === 0 || req.uid === dir.uid) return true;
  return fs.attrs.get(ino, now)?.uid === req.uid;
}

/**
 * Runs `call` again while the namenode cannot be reached (refused, lost or silent connection),
 * for up to `timeoutMs`: a call that names its inode is safe to send twice.
 */
async function sendAgainWhileUnreachable(timeoutMs: number, call: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 1000)) {
    try {
      return await call();
    } catch (err) {
      const unreachable = err instanceof CairnError && (err.code === 'ECONNREFUSED' || err.code === 'ETIMEDOUT');
      if (!unreachable || Date.now() + delayMs >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
