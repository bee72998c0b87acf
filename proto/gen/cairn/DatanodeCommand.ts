// Original file: proto/cairn.proto

import type { ChunkRef as _cairn_ChunkRef, ChunkRef__Output as _cairn_ChunkRef__Output } from '../cairn/ChunkRef.js';
import type { ReplicateCommand as _cairn_ReplicateCommand, ReplicateCommand__Output as _cairn_ReplicateCommand__Output } from '../cairn/ReplicateCommand.js';

export interface DatanodeCommand {
  'delete'?: (_cairn_ChunkRef)[];
  'replicate'?: (_cairn_ReplicateCommand)[];
}

export interface DatanodeCommand__Output {
  'delete': (_cairn_ChunkRef__Output)[];
  'replicate': (_cairn_ReplicateCommand__Output)[];
}
