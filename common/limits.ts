// Every limit Cairn enforces, in one place, each named with its unit last (TigerBeetle's
// constants.zig habit). Boundaries (rpc handlers, the SDK, the CLI) check against these.

export const limits = {
  /** Longest path accepted anywhere, in UTF-8 bytes (Linux PATH_MAX). */
  pathBytesMax: 4096,
  /** Longest single name (path component), in UTF-8 bytes (Linux NAME_MAX). */
  nameBytesMax: 255,
  /** Symlinks followed while resolving one path before ELOOP. */
  symlinkHopsMax: 40,
  /** Default and bounds of the cluster chunk size. */
  chunkSizeBytesDefault: 64 * 1024 * 1024,
  chunkSizeBytesMin: 64 * 1024,
  chunkSizeBytesMax: 1024 * 1024 * 1024,
  /** One CRC32C covers this many bytes of a chunk file. */
  checksumWindowBytes: 64 * 1024,
  /** Largest data frame on the data path. */
  dataFrameBytes: 1024 * 1024,
  /** gRPC message size limit (a frame plus headroom). */
  rpcMessageBytesMax: 16 * 1024 * 1024,
  /** Largest file size accepted (2^53 - 1 keeps every offset an exact JS number). */
  fileBytesMax: Number.MAX_SAFE_INTEGER,
  /** Replication factor bounds. */
  replicationDefault: 3,
  replicationMax: 32,
  /** Directory entries per readdir page. */
  readdirPageEntriesDefault: 1000,
  readdirPageEntriesMax: 10_000,
  /** Chunk infos per GetChunks reply. */
  chunksPerReplyMax: 1024,
  /** Liveness defaults. */
  heartbeatIntervalMsDefault: 1000,
  deadAfterMsDefault: 10_000,
  fullReportIntervalMsDefault: 60_000,
  /** A writer that stops renewing loses its lease after this long. */
  leaseExpiryMsDefault: 30_000,
  /** Chunk access tokens are valid for this long after they are signed. */
  chunkTokenLifetimeMs: 10 * 60 * 1000,
  /** Extended attributes: name and value sizes (Linux XATTR_NAME_MAX, XATTR_SIZE_MAX), and the
   *  bytes of one inode's list of names, each with its NUL (XATTR_LIST_MAX). */
  xattrNameBytesMax: 255,
  xattrValueBytesMax: 64 * 1024,
  xattrListBytesMax: 64 * 1024,
  /** Every client call gives up after this long (the mount must never hang forever). */
  rpcDeadlineMsDefault: 30_000,
  /**
   * A directory grant another client waits for is extended by the holder's creates already on
   * their way for at most this many grant lengths after the recall: the namenode stops there
   * (namenode/grants.ts), and a mount counts no further past its last confirmed call
   * (client/fuse/early-creates.ts).
   */
  grantRecalledExtensionsMax: 5,
} as const;

if (limits.chunkSizeBytesMin % limits.checksumWindowBytes !== 0) {
  throw new Error('limits: chunkSizeBytesMin must be a multiple of checksumWindowBytes');
}
if (limits.dataFrameBytes * 2 > limits.rpcMessageBytesMax) {
  throw new Error('limits: rpcMessageBytesMax must hold a data frame with headroom');
}
