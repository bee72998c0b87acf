// Attribute changes (chmod, chown, utimes) to files that are open for writing on this mount,
// held until the file's data is committed (flush, fsync or the last close) and then sent in one
// call. Programs that write a file usually set its owner, mode and times before closing it
// (tar, cp -p, rsync); sending each at once would cost a round trip apiece and, for the times,
// an early commit of the buffered data, whose commit would otherwise move mtime again.
//
// Invariants: what the mount reports for an inode is its namenode attributes with the pending
// changes over them, so the mount sees its own changes at once; other mounts see them after the
// close, as they see the data (close-to-open). A write after a pending mtime drops it (the write
// moves mtime, as on a local file system). The kernel has already checked that the caller may
// make each change (default_permissions; a mount without it lets in only root, device.ts).

import { withoutSuidgid } from '../../common/attr-changes.js';
import type { AttrChanges, CairnClient } from '../sdk/client.js';
import type { KernelAttr } from './protocol.js';

export type { AttrChanges };

interface Pending {
  client: CairnClient;
  changes: AttrChanges;
  ctimeMs: number;
}

const typeBits = 0o170000;

export class PendingAttrs {
  private readonly byIno = new Map<number, Pending>();

  add(ino: number, client: CairnClient, changes: AttrChanges, nowMs: number): void {
    const previous = this.byIno.get(ino);
    const merged = { ...previous?.changes, ...changes };
    // A mode set after the setuid and setgid bits were cleared (tar sets a file's owner, then its
    // mode) is the mode asked for; one set before is cleared (the namenode clears after the mode).
    if (changes.mode !== undefined && changes.killSuidgid !== true) delete merged.killSuidgid;
    // Clearing the bits needs no ownership: the changes held go on as their last owner's.
    const onlyKill = Object.keys(changes).every((key) => key === 'killSuidgid');
    this.byIno.set(ino, { client: onlyKill && previous !== undefined ? previous.client : client, changes: merged, ctimeMs: nowMs });
  }

  /** Data was written: the write's own mtime wins over one set before it. */
  written(ino: number): void {
    const pending = this.byIno.get(ino);
    if (pending?.changes.mtimeMs !== undefined) {
      const { mtimeMs: _dropped, ...rest } = pending.changes;
      pending.changes = rest;
    }
  }

  /** The attributes with the pending changes applied. */
  overlay(a: KernelAttr): KernelAttr {
    const pending = this.byIno.get(a.ino);
    if (pending === undefined) return a;
    const c = pending.changes;
    const mode = c.mode !== undefined ? (a.mode & typeBits) | c.mode : a.mode;
    return {
      ...a,
      mode: c.killSuidgid === true ? withoutSuidgid(mode) : mode,
      uid: c.uid ?? a.uid,
      gid: c.gid ?? a.gid,
      atimeMs: c.atimeMs ?? a.atimeMs,
      mtimeMs: c.mtimeMs ?? a.mtimeMs,
      ctimeMs: Math.max(a.ctimeMs, pending.ctimeMs),
    };
  }

  /** What is pending for `ino`, left in place. */
  peek(ino: number): { client: CairnClient; changes: AttrChanges } | undefined {
    const pending = this.byIno.get(ino);
    return pending === undefined || Object.keys(pending.changes).length === 0 ? undefined : pending;
  }

  /** Removes and returns what is pending for `ino`, to be sent. */
  take(ino: number): { client: CairnClient; changes: AttrChanges } | undefined {
    const pending = this.byIno.get(ino);
    this.byIno.delete(ino);
    return pending === undefined || Object.keys(pending.changes).length === 0 ? undefined : pending;
  }

  inodes(): number[] {
    return [...this.byIno.keys()];
  }
}
