// Original file: proto/cairn.proto

import type { ChunkInfo as _cairn_ChunkInfo, ChunkInfo__Output as _cairn_ChunkInfo__Output } from '../cairn/ChunkInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface GetChunksReply {
  'chunks'?: (_cairn_ChunkInfo)[];
  'sizeBytes'?: (number | string | Long);
  'chunkSizeBytes'?: (number | string | Long);
}

export interface GetChunksReply__Output {
  'chunks': (_cairn_ChunkInfo__Output)[];
  'sizeBytes': (number);
  'chunkSizeBytes': (number);
}
