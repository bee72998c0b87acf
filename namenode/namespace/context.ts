// What every namespace operation is given: its transaction, who is calling, the time, and the
// cluster settings. Operations never read a clock or touch the network themselves.

import type { Caller } from '../../common/rpc.js';
import type { Tx } from '../store/metadb.js';
import type { Attr } from './attr.js';

export interface NamespaceSettings {
  chunkSizeBytes: number;
  defaultReplication: number;
}

export interface OpContext {
  tx: Tx;
  caller: Caller;
  nowMs: number;
  settings: NamespaceSettings;
  /**
   * The directories this operation changed (an entry added or removed), with their attributes
   * after it: NFS's post-operation attributes, returned so that a client's cache need not ask.
   */
  dirs: Map<number, Attr>;
  /**
   * Called before the operation reads or changes a directory's names: throws when another
   * client holds the directory's grant (namenode/grants.ts). Absent for the namenode's own work.
   */
  guard?: (dir: number) => void;
}

/** A replica of a chunk version that no longer belongs to the namespace (deleted or superseded). */
export interface FreedChunk {
  chunkId: number;
  gen: number;
}
