// Which version of each file the kernel's page cache may hold, so that an open can let the kernel
// keep the pages it has (FOPEN_KEEP_CACHE) instead of dropping them, as MooseFS's default cache
// mode does: a file read again unchanged is read from memory (git status, git add after tar, a
// build reading its headers again). Pure state, no I/O.
//
// Close-to-open still holds: every open asks the namenode (the Open call), and the pages are
// kept only when the file's version then - its size, mtime, ctime and the stamp of its first
// chunk, which changes with every write to it - is the version whose bytes the pages were read
// from. Not kept, and the version forgotten:
// - while a writer of the file is open on this mount, and after (its writes went through the
//   page cache, not through a version the namenode named);
// - while, or after, a reader of another version was open on this mount: the kernel keeps one
//   page cache per inode, so such a reader may have filled it with other bytes.
// Left as in MooseFS: two writes by other clients in the same millisecond that keep the size and
// the first chunk's stamp would look like one version.

import { SetIndex } from '../../common/set-index.js';

/** Files whose version is remembered (a few dozen bytes each). */
const inodesMax = 50_000;

export class PageVersions {
  /**
   * ino -> the version its cached pages hold (absent: unknown, so not kept). Confirmed only once
   * the kernel surely dropped older pages: the open that did not keep them must have completed,
   * which the RELEASE of its handle proves (an OPEN reply the kernel never took - timed out,
   * interrupted - leaves the version unconfirmed, and so does a second open racing the first).
   */
  private readonly versionOf = new Map<number, { version: string; confirmed: boolean; confirmers: Set<number> }>();
  /** Open handles: their inode and the version they read (undefined: a writer). */
  private readonly handles = new Map<number, { ino: number; version: string | undefined }>();
  private readonly handlesOf = new SetIndex<number, number>();

  /**
   * Handle `fh` of `ino` opened, reading `version` (undefined: it writes, or its version is not
   * known). Returns whether the kernel may keep the pages it holds.
   */
  opened(fh: number, ino: number, version: string | undefined): boolean {
    const fhs = this.handlesOf.get(ino);
    // Pages are dropped at an open that does not keep them; from then on they hold this open's
    // version, unless another handle open here reads (or writes) another.
    const alone = version !== undefined && [...fhs].every((other) => this.handles.get(other)?.version === version);
    const held = this.versionOf.get(ino);
    const keep = alone && held?.version === version && held.confirmed;
    this.handles.set(fh, { ino, version });
    this.handlesOf.add(ino, fh);
    this.versionOf.delete(ino); // re-inserted last: Map order is age order
    if (alone) {
      const entry = held?.version === version ? held : { version, confirmed: false, confirmers: new Set<number>() };
      if (!entry.confirmed) entry.confirmers.add(fh); // its release will prove the pages were dropped
      this.versionOf.set(ino, entry);
    }
    while (this.versionOf.size > inodesMax) this.versionOf.delete(this.versionOf.keys().next().value as number);
    return keep;
  }

  released(fh: number): void {
    const handle = this.handles.get(fh);
    if (handle === undefined) return;
    this.handles.delete(fh);
    this.handlesOf.remove(handle.ino, fh);
    // This handle's open completed, so the pages it did not keep were dropped then. Nothing to
    // forget otherwise: a version is remembered only while every open handle reads it (an open
    // of a writer or of another version forgets it), so no handle closing now held other bytes.
    const held = this.versionOf.get(handle.ino);
    if (held !== undefined && !held.confirmed && held.confirmers.has(fh)) {
      held.confirmed = true;
      held.confirmers.clear();
    }
  }

  /** The file changed through this mount outside an open (a truncate): its pages are no version known. */
  changed(ino: number): void {
    this.versionOf.delete(ino);
  }

  get size(): number {
    return this.versionOf.size;
  }
}
