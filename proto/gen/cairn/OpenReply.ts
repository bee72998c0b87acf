// Original file: proto/cairn.proto

import type { Attr as _cairn_Attr, Attr__Output as _cairn_Attr__Output } from '../cairn/Attr.js';
import type { ChunkInfo as _cairn_ChunkInfo, ChunkInfo__Output as _cairn_ChunkInfo__Output } from '../cairn/ChunkInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface OpenReply {
  'attr'?: (_cairn_Attr | null);
  'leaseMs'?: (number);
  'dirs'?: (_cairn_Attr)[];
  'chunks'?: (_cairn_ChunkInfo)[];
  'chunksGiven'?: (boolean);
  'leased'?: (boolean);
  'grantMs'?: (number);
  'reservedFrom'?: (number | string | Long);
  'reservedCount'?: (number);
}

export interface OpenReply__Output {
  'attr': (_cairn_Attr__Output | null);
  'leaseMs': (number);
  'dirs': (_cairn_Attr__Output)[];
  'chunks': (_cairn_ChunkInfo__Output)[];
  'chunksGiven': (boolean);
  'leased': (boolean);
  'grantMs': (number);
  'reservedFrom': (number);
  'reservedCount': (number);
}
