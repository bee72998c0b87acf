// Closes answered once their commit is written to the namenode's connection.
//
// close(2) of a file written through the mount (its FLUSH) commits the writer's bytes: the
// replicas acknowledge them, then the namenode records the chunk (CommitChunk). The close used to
// wait for the namenode's answer too: one more round trip, a chain of wake-ups of other virtual
// CPUs (docs/PERFORMANCE.md), on every file tar, cp or an editor writes. When the caller is root,
// the close is now answered once the replicas acknowledged every byte and the commit is written
// to the namenode's connection, as unlinks ahead are (early-unlinks.ts); the commit's answer and
// what follows it (the attributes it carried, the kernel's attributes dropped) come after.
//
// Only a commit the namenode cannot refuse is answered so: one under a lease the upload's prepare
// took, or of a chunk handed out ahead (which takes the lease only as it lands, EBUSY if another
// client took it) for a file this mount created ahead under a directory grant that has lasted
// since and holds as the commit leaves: nobody else can have reached the file (another client
// touching the directory waits the grant out, and then finds the commit received).
//
// What stays as it was:
// - A closed file is on every replica: the close still waits for the datanodes' acknowledgement,
//   and a failure before the commit is written (a pipeline that cannot be completed, a refusal)
//   is still the close's answer.
// - This mount sees its own closes: the commit is sent like any call (after the work run ahead
//   before it: the file's create), and once written it is work run ahead (`SyncTracker.runAhead`),
//   so every namenode call of the mount begun after the answer (an open, a stat fetched from the
//   namenode, a rename, a directory's fsync) waits until it has settled. A RELEASE waits for it.
// - A mount killed after answering loses nothing: the commit is in the kernel's socket buffer,
//   and the replicas are on their datanodes. A namenode killed meanwhile gets the bytes again
//   on a newly prepared version once it is back (the upload keeps them until its commit is
//   answered), waiting for it as long as the mount runs (and for its timeout once unmounting:
//   ChunkUpload.finish's `ahead`). Meanwhile the mount's later namenode calls wait behind it and
//   fail EIO at their own timeout, as they would without it.
//
// What differs from a close that waits:
// - Another client may open a file this mount held the lease of in the instant after the close
//   and find its previous size, until the namenode reads the commit (already in its socket buffer
//   when the close returns).
// - A commit that fails after the close was answered (the namenode still unreachable when an
//   unmount's timeout ends, the file removed by another client meanwhile) is logged as an error,
//   and reported by the next close of the file on this mount, as NFS reports write-back errors.
// - Only root's closes, as for unlinks and creates answered ahead, and only when the attribute
//   changes held for the file are the writer's own (the commit carries them). `--sync-closes`
//   turns it off.

import { CairnError } from '../../common/errors.js';
import type { AttrChanges } from '../sdk/client.js';
import type { Stats } from '../sdk/stats.js';
import type { CairnFs } from './cairn-fs.js';
import { aheadMax } from './early-creates.js';
import { monotonicMs } from './fast-lookups.js';
import type * as P from './protocol.js';

/** Whether this close of `fh` may be answered once its commit is written; waits for room among the changes on their way. */
export async function mayCloseAhead(fs: CairnFs, req: P.FuseRequest, fh: number): Promise<boolean> {
  if (fs.o.closesAhead !== true || fs.closing || req.uid !== 0 || !fs.files.isWritable(fh)) return false;
  const tracker = fs.o.identities.tracker;
  if (tracker.runningAhead >= aheadMax) await tracker.roomAhead(aheadMax);
  const held = fs.pending.peek(req.nodeid);
  // Changes of another identity go alone after the commit, and may be refused: the close waits for them.
  return !fs.closing && (held === undefined || held.client === fs.files.writerClient(fh));
}

/**
 * Commits `fh`'s writes (of inode `ino`, with `carry`); `onSent` is told once the commit is
 * written, if the namenode cannot refuse it (not at all when there was nothing to commit, or the
 * upload failed before its commit). The commit waits like any call for the work run ahead before
 * it (the file's create); from its writing on, the rest of it is work run ahead of the mount's
 * later calls. A chunk handed out ahead takes the file's lease only as its commit lands: the
 * mount vouches for it when it created the file ahead and the directory's grant, under which
 * nobody else reaches the file, has lasted since and holds as the commit leaves.
 */
export function commitAhead(fs: CairnFs, ino: number, fh: number, carry: AttrChanges | undefined, onSent: () => void): Promise<Stats | undefined> {
  const tracker = fs.o.identities.tracker;
  let settled = (): void => undefined;
  const done = new Promise<void>((resolve) => (settled = resolve));
  const written = (): void => {
    tracker.runAhead(() => done);
    onSent();
  };
  const vouched = (): boolean => {
    const created = fs.createdAhead.get(ino);
    return created !== undefined && fs.createGrants.of(created.parent) === created.grant && fs.createGrants.holds(created.parent, monotonicMs());
  };
  const keepWaiting = (answeredAtMs: number, err: unknown): boolean => fs.waitsForNamenode(answeredAtMs, err);
  const commit = fs.files.flush(fh, carry, { onSent: written, keepWaiting, vouched });
  void commit.finally(settled).catch(() => undefined);
  return commit;
}

/**
 * Waits until the close `flushing` (its commit and what follows) was written to the namenode's
 * connection, or settled: a failure before the commit was written is the close's answer (thrown
 * here), one after it is logged.
 */
export async function answeredAhead(fs: CairnFs, ino: number, flushing: Promise<void>, sent: Promise<void>): Promise<void> {
  let answered = false;
  const written = sent.then(() => {
    answered = true;
    fs.o.log.debug({ ino }, 'close answered ahead of its commit');
  });
  flushing.catch((err: unknown) => {
    if (!answered) return; // the close's own answer
    const gone = err instanceof CairnError && (err.code === 'ENOENT' || err.code === 'ESTALE');
    if (gone) fs.o.log.debug({ err, ino }, 'the file of a close answered ahead was removed before its commit');
    else fs.o.log.error({ err, ino }, 'a close answered ahead of its commit did not go through: its last writes may be lost');
  });
  await Promise.race([written, flushing]);
}
