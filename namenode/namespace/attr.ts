// The domain view of an inode's attributes, returned by every namespace operation.

import type { InodeRecord } from './records.js';

export type FileKind = 'file' | 'directory' | 'symlink';

export interface Attr {
  inode: number;
  kind: FileKind;
  mode: number;
  uid: number;
  gid: number;
  sizeBytes: number;
  nlink: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  replication: number;
  /** Directories: operations that changed its entries so far (records.ts `ver`). */
  dirVersion: number;
  /** The inode never had an extended attribute (records.ts `nx`). */
  noXattrs: boolean;
}

const kinds: Record<InodeRecord['type'], FileKind> = { f: 'file', d: 'directory', l: 'symlink' };

export function toAttr(ino: number, rec: InodeRecord): Attr {
  return {
    inode: ino,
    kind: kinds[rec.type],
    mode: rec.mode,
    uid: rec.uid,
    gid: rec.gid,
    sizeBytes: rec.type === 'l' ? Buffer.byteLength(rec.target ?? '') : rec.type === 'd' ? 0 : rec.size,
    nlink: rec.nlink,
    atimeMs: rec.atime,
    mtimeMs: rec.mtime,
    ctimeMs: rec.ctime,
    replication: rec.rep,
    dirVersion: rec.type === 'd' ? (rec.ver ?? 0) : 0,
    noXattrs: rec.nx === true,
  };
}
