// Original file: proto/cairn.proto

import type { ChunkRef as _cairn_ChunkRef, ChunkRef__Output as _cairn_ChunkRef__Output } from '../cairn/ChunkRef.js';

export interface DatanodeCommand {
  'delete'?: (_cairn_ChunkRef)[];
}

export interface DatanodeCommand__Output {
  'delete': (_cairn_ChunkRef__Output)[];
}
