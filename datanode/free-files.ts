// Emptied files a datanode keeps under tmp/ and gives its next new files, so that replacing and
// deleting replicas neither frees nor allocates inodes.
//
// Why: a datanode churns through files. Every synced update of a chunk (a database's fsync) writes
// a new version, a new file, and removes the old one, three of them per SQLite transaction; an
// `rm -r` of a tree removes a file per replica. On ext4 without a journal (this project's
// machine) the inode allocator skips every inode freed in the last minute, reading each one's
// inode table block to find out (`recently_deleted`, for e2fsck's sake), and it starts from the
// beginning of the group each time. After a few thousand removals, a datanode spent a fifth of its
// CPU there during SQLite transactions (perf: find_inode_bit, recently_deleted,
// find_get_block_common), ~0.4 ms a new file.
//
// A removed file is cut to length 0 (its blocks freed, as an unlink frees them, so used space
// goes down at once) and renamed to tmp/free.N; a new file is one of these renamed to its name.
// Whoever takes one opens it with O_TRUNC or copies over it (copy_file_range truncates first), so
// its old bytes never matter. At most `max` are kept; past that, files are unlinked as before. A
// start keeps the free files it finds and removes the rest of tmp/ (chunk-store.ts).

import { renameSync, truncateSync, unlinkSync } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

const prefix = 'free.';

export class FreeFiles {
  private readonly files: string[] = [];
  /** Files being emptied (counted against `max`). */
  private emptying = 0;
  private counter = 0;

  constructor(
    private readonly dir: string,
    private readonly max: number,
  ) {}

  /** Whether `name` (in tmp/) is a free file a previous run left. */
  static isFree(name: string): boolean {
    return name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
  }

  /** A free file left by a previous run, found at start (empty, or emptied by its taker anyway). */
  adopt(name: string): boolean {
    if (this.files.length >= this.max) return false;
    this.counter = Math.max(this.counter, Number(name.slice(prefix.length)));
    this.files.push(path.join(this.dir, name));
    return true;
  }

  get size(): number {
    return this.files.length;
  }

  /**
   * Renames a free file to `to` (a new name under tmp/); false when none is left. The caller
   * creates `to` with O_TRUNC or copies over it either way: this only decides which inode it gets.
   */
  takeAs(to: string): boolean {
    for (let file = this.files.pop(); file !== undefined; file = this.files.pop()) {
      try {
        renameSync(file, to);
        return true;
      } catch {
        // Gone (removed by hand) or the disk failed: the caller creates the file as before.
      }
    }
    return false;
  }

  /**
   * Removes `file` from its name: emptied and kept when there is room, else unlinked. Rejects as
   * the unlink or the truncate did (ENOENT: it was gone already). `small`: a file of few blocks,
   * emptied and renamed on the calling thread (microseconds of page-cache work) rather than in
   * the thread pool, whose two hops and wake-ups cost more than the work itself; an `rm -r` of a
   * tree of small files measured 15 % slower through the pool than with one unlink each.
   */
  async remove(file: string, small = false): Promise<void> {
    if (this.files.length + this.emptying >= this.max) return small ? unlinkSync(file) : fsp.unlink(file);
    const to = path.join(this.dir, `${prefix}${++this.counter}`);
    if (small) {
      truncateSync(file, 0);
      this.keepAs(file, to);
      return;
    }
    this.emptying++;
    try {
      await fsp.truncate(file, 0);
    } finally {
      this.emptying--;
    }
    this.keepAs(file, to);
  }

  /** Renames an emptied file into the pool; unlinks it if that fails (its name must go either way). */
  private keepAs(file: string, to: string): void {
    try {
      renameSync(file, to);
    } catch {
      unlinkSync(file);
      return;
    }
    this.files.push(to);
  }
}
