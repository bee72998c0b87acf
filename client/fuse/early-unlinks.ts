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
// - the caller is root, whom the namenode's permission checks never refuse. Another caller's
//   unlink waits: the namenode checks search permission on every ancestor of the path, and
//   this mount cannot vouch for all of them.
//
// Order: every namenode call of this mount waits until the unlinks answered before it began are
// settled (`SyncTracker.runAhead`, first come first served), so this mount never sees the name
// again and a create of the same name cannot overtake the unlink. An fsync of the directory
// waits the same way. At most `aheadMax` (early-creates.ts; creates and unlinks together) are on
// their way; the next waits for room.
//
// The call names the inode (PathRequest.expect_inode): it removes the name only while it still
// names that file, so it is sent again after a lost connection (a namenode restart) without
// removing a file made under the name since; ENOENT means the name is gone either way. ESTALE
// at the first try (another client put another file under the name since this mount looked)
// means nothing was removed yet: the call goes again by name alone, and removes what the name
// leads to now, as an unlink that waits would.
//
// What differs from an unlink that waits:
// - Another mount may see the name until the call arrives (well under a millisecond), where it
//   may already see it for up to --cache-ms from its own caches.
// - A name another client replaced while this mount's call was lost with its connection is
//   left in place (the first try may have removed this mount's file; the new one is not ours).
// - If the call fails for good (the namenode still unreachable when an unmount's timeout ends, or
//   answering EIO for a whole timeout), the
//   unlink may not have happened: the mount logs it as an error, and the name shows again once
//   the kernel's entry expires (--cache-ms). A local file system that loses power loses unlinks
//   not yet synced the same way; `fsync` of the directory waits for them.
// - The kernel is answered once the call is written to the namenode's connection, so a mount
//   killed after answering loses nothing. While the namenode cannot be reached the answer does
//   not wait (the mount sends the call again once it is back, as long as it runs), and a
//   mount killed meanwhile loses those unlinks, as a crash of a local disk loses unsynced ones.
// - An unmounting mount waits for the unlinks on their way, and answers no more ahead.

import { CairnError } from '../../common/errors.js';
import type { CairnFs } from './cairn-fs.js';
import { aheadMax, resendWhileUnreachable } from './early-creates.js';
import type { Changed } from '../sdk/client.js';
import { monotonicMs } from './fast-lookups.js';
import type * as P from './protocol.js';

/**
 * Answers an UNLINK of `name` in `req.nodeid` before its namenode call when this mount knows
 * what the namenode would answer (see above); returns false when it does not (the caller then
 * unlinks the usual way).
 */
export async function unlinkAhead(fs: CairnFs, req: P.FuseRequest, name: string): Promise<boolean> {
  if (fs.o.unlinksAhead !== true || fs.closing || req.uid !== 0) return false;
  const tracker = fs.o.identities.tracker;
  if (tracker.runningAhead >= aheadMax) await tracker.roomAhead(aheadMax);
  const parent = req.nodeid;
  const ino = fs.nodes.idsOf(parent, name)[0];
  const path = fs.nodes.childPath(parent, name);
  if (fs.closing || ino === undefined || path === undefined || !fs.complete.holds(parent, name, monotonicMs())) return false;
  if (fs.files.openAfterReleases(ino) || fs.hidden.has(ino) || fs.pending.peek(ino) !== undefined) return false;
  if (fs.namesAhead.busy(parent, name, ino)) return false; // its create, or another change of the name, is on its way

  // This mount's view first: the name is gone from now on.
  fs.complete.drop(parent, name);
  fs.listings.nameChanged(parent, name);
  fs.nodes.removed(parent, name);
  fs.invalidate(req, parent, ino);
  const client = fs.caller(req);
  fs.o.identities.pin(client);
  const end = fs.namesAhead.begin(parent, name);
  fs.o.log.debug({ ino, path }, 'unlink answered ahead of its call');
  let onSent = (): void => undefined;
  const sent = new Promise<void>((resolve) => (onSent = resolve));
  tracker.runAhead(async () => {
    let tries = 0;
    let change: Changed | undefined;
    const attempt = async (expectIno: number | undefined): Promise<void> => {
      tries++;
      try {
        await client.unlink(path, { expectIno, ahead: true, onSent, onChanged: (c) => void (change = c) });
      } catch (err) {
        onSent(); // not sent (the namenode unreachable): the kernel is answered all the same
        throw err;
      }
    };
    try {
      try {
        await resendWhileUnreachable(fs, () => attempt(ino));
      } catch (err) {
        // Another client put another file under the name since this mount last looked. Answered
        // by the namenode at the first try, this unlink removed nothing yet: it removes what the
        // name leads to now, as an unlink that waited would have. After a lost connection the
        // first try may have removed our file and the new one is someone's since: left alone.
        if (!(err instanceof CairnError && err.code === 'ESTALE' && tries === 1)) throw err;
        await attempt(undefined); // once: sent again after a lost answer, it could remove a file made since
      }
      // Confirms the directory (its version moved by one) or forgets it, as for an unlink that waits.
      fs.changed(req, change, [{ dir: parent, name, added: false }], parent, ino);
    } catch (err) {
      // The name is gone either way on ENOENT (and ESTALE: not the file this mount removed).
      const gone = err instanceof CairnError && (err.code === 'ENOENT' || err.code === 'ESTALE');
      if (!gone) fs.o.log.error({ err, path }, 'an unlink answered ahead of its namenode call did not go through: the file may still be there');
      fs.complete.forget(parent);
      fs.invalidate(req, parent, ino);
    } finally {
      onSent();
      end();
      fs.o.identities.unpin(client);
    }
  });
  // Written to the namenode's connection (or found it unreachable) before the kernel hears.
  await sent;
  return true;
}
