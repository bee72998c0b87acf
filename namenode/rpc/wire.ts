// Conversions between domain types and wire messages, kept at the edge (rpc/ only).

import type { Attr as WireAttr } from '../../proto/gen/cairn/Attr.js';
import type { FileType } from '../../proto/gen/cairn/FileType.js';
import { CairnError } from '../../common/errors.js';
import type { Attr } from '../namespace/attr.js';

const fileTypes: Record<Attr['kind'], FileType> = { file: 'FILE', directory: 'DIRECTORY', symlink: 'SYMLINK' };

export function attrToWire(attr: Attr, chunkSizeBytes: number): WireAttr {
  return {
    inode: attr.inode,
    type: fileTypes[attr.kind],
    mode: attr.mode,
    uid: attr.uid,
    gid: attr.gid,
    sizeBytes: attr.sizeBytes,
    nlink: attr.nlink,
    atimeMs: attr.atimeMs,
    mtimeMs: attr.mtimeMs,
    ctimeMs: attr.ctimeMs,
    replication: attr.replication,
    chunkSizeBytes,
    dirVersion: attr.dirVersion,
    noXattrs: attr.noXattrs,
  };
}

/** A non-negative safe integer from the wire, or EINVAL naming the field. */
export function wireCount(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new CairnError('EINVAL', `${field} out of range: ${value}`);
  return value;
}

/** An `expect_inode` field: the inode a change means, or undefined for 0 (none named). */
export function wireExpectedInode(value: number): number | undefined {
  const ino = wireCount(value, 'expectInode');
  return ino > 0 ? ino : undefined;
}

export function wireMode(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0o7777) throw new CairnError('EINVAL', `mode out of range: ${value.toString(8)}`);
  return value;
}

export function wireString(value: string, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new CairnError('EINVAL', `${field} is empty`);
  return value;
}
