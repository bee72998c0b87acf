// The LevelDB schema of the namespace (DESIGN §3). Numbers in keys are fixed-width hex so that
// byte order is numeric order and a directory's entries, or a file's chunks, are one range scan.
//
//   i/<inode>            -> InodeRecord
//   d/<parent>/<name>    -> DirentRecord
//   c/<inode>/<index>    -> ChunkRecord
//   x/<inode>/<name>     -> extended attribute value (base64)
//   m/ids                -> IdCounters (next inode, next chunk id, next generation stamp)
//   m/cluster            -> ClusterRecord

export type InodeType = 'f' | 'd' | 'l';

export interface InodeRecord {
  type: InodeType;
  mode: number; // permission bits
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  atime: number;
  mtime: number;
  ctime: number;
  rep: number; // wanted replicas per chunk (files)
  parent?: number; // directories: the parent directory (for "..", rename cycle checks and fsck)
  target?: string; // symlinks
  /**
   * Set at creation, dropped by the first extended attribute (`nx`) or the first committed chunk
   * (`nc`, files) ever written for the inode: while set, removing the inode or listing its
   * attributes reads no key range for them (each range read is a trip through LevelDB's thread
   * pool). Inodes created before these flags existed have neither, and are read as before.
   */
  nx?: true;
  nc?: true;
  /** Directories: operations that changed its entries (absent: none since this field exists). */
  ver?: number;
}

export interface DirentRecord {
  ino: number;
  type: InodeType;
}

export interface ChunkRecord {
  id: number;
  gen: number;
  len: number;
}

export interface IdCounters {
  inode: number;
  chunk: number;
  gen: number;
}

export interface ClusterRecord {
  clusterId: string;
  formatVersion: number;
  chunkSizeBytes: number;
  createdMs: number;
}

export const rootInode = 1;
export const formatVersion = 1;

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

export const keys = {
  inode: (ino: number): string => `i/${hex(ino, 14)}`,
  dirent: (parent: number, name: string): string => `d/${hex(parent, 14)}/${name}`,
  direntPrefix: (parent: number): string => `d/${hex(parent, 14)}/`,
  chunk: (ino: number, index: number): string => `c/${hex(ino, 14)}/${hex(index, 12)}`,
  chunkPrefix: (ino: number): string => `c/${hex(ino, 14)}/`,
  allChunksPrefix: 'c/',
  xattr: (ino: number, name: string): string => `x/${hex(ino, 14)}/${name}`,
  xattrPrefix: (ino: number): string => `x/${hex(ino, 14)}/`,
  ids: 'm/ids',
  cluster: 'm/cluster',
};

/** The exclusive upper bound of a prefix scan ('/' + 1 = '0'). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export function parseChunkKey(key: string): { ino: number; index: number } {
  const [, ino, index] = key.split('/');
  return { ino: parseInt(ino ?? '', 16), index: parseInt(index ?? '', 16) };
}

export function nameFromDirentKey(key: string): string {
  return key.slice(key.indexOf('/', 2) + 1);
}
