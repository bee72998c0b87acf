// fs.Stats-shaped attributes, so code written for node:fs reads Cairn files unchanged.

import { constants } from 'node:fs';
import type { WireAttr } from './namenode-client.js';

const typeBits: Record<string, number> = {
  FILE: constants.S_IFREG,
  DIRECTORY: constants.S_IFDIR,
  SYMLINK: constants.S_IFLNK,
};

export class Stats {
  readonly dev = 0;
  readonly rdev = 0;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly blksize: number;
  readonly blocks: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly birthtimeMs: number;
  /** Wanted replicas per chunk (files). */
  readonly replication: number;
  readonly chunkSize: number;
  /** Directories: how many operations changed its entries so far (moves by one per change). */
  readonly dirVersion: number;
  /** The file never had an extended attribute (as the namenode saw it then). */
  readonly noXattrs: boolean;

  constructor(attr: WireAttr) {
    this.ino = attr.inode;
    this.mode = (typeBits[attr.type] ?? 0) | attr.mode;
    this.nlink = attr.nlink;
    this.uid = attr.uid;
    this.gid = attr.gid;
    this.size = attr.sizeBytes;
    this.blksize = 128 * 1024;
    this.blocks = Math.ceil(attr.sizeBytes / 512);
    this.atimeMs = attr.atimeMs;
    this.mtimeMs = attr.mtimeMs;
    this.ctimeMs = attr.ctimeMs;
    this.birthtimeMs = attr.ctimeMs;
    this.replication = attr.replication;
    this.chunkSize = attr.chunkSizeBytes;
    this.dirVersion = attr.dirVersion;
    this.noXattrs = attr.noXattrs;
  }

  // The Dates are made when asked for, as node:fs's Stats makes them: four objects per entry of
  // every listing and lookup otherwise, most never read (the mount reads the *Ms fields), and
  // the collector's work in a client listing 10,000 entries.
  get atime(): Date {
    return new Date(this.atimeMs);
  }
  get mtime(): Date {
    return new Date(this.mtimeMs);
  }
  get ctime(): Date {
    return new Date(this.ctimeMs);
  }
  get birthtime(): Date {
    return new Date(this.birthtimeMs);
  }

  isFile(): boolean {
    return (this.mode & constants.S_IFMT) === constants.S_IFREG;
  }
  isDirectory(): boolean {
    return (this.mode & constants.S_IFMT) === constants.S_IFDIR;
  }
  isSymbolicLink(): boolean {
    return (this.mode & constants.S_IFMT) === constants.S_IFLNK;
  }
  isBlockDevice(): boolean {
    return false;
  }
  isCharacterDevice(): boolean {
    return false;
  }
  isFIFO(): boolean {
    return false;
  }
  isSocket(): boolean {
    return false;
  }
}

/** A directory entry with its attributes (readdir withFileTypes). */
export class Dirent {
  constructor(
    readonly name: string,
    readonly parentPath: string,
    readonly stats: Stats,
  ) {}
  isFile(): boolean {
    return this.stats.isFile();
  }
  isDirectory(): boolean {
    return this.stats.isDirectory();
  }
  isSymbolicLink(): boolean {
    return this.stats.isSymbolicLink();
  }
}
