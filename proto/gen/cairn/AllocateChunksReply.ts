// Original file: proto/cairn.proto

import type { PrepareChunkReply as _cairn_PrepareChunkReply, PrepareChunkReply__Output as _cairn_PrepareChunkReply__Output } from '../cairn/PrepareChunkReply.js';

export interface AllocateChunksReply {
  'chunks'?: (_cairn_PrepareChunkReply)[];
}

export interface AllocateChunksReply__Output {
  'chunks': (_cairn_PrepareChunkReply__Output)[];
}
