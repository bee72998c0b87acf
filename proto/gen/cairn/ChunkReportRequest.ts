// Original file: proto/cairn.proto

import type { ChunkRef as _cairn_ChunkRef, ChunkRef__Output as _cairn_ChunkRef__Output } from '../cairn/ChunkRef.js';

export interface ChunkReportRequest {
  'datanodeId'?: (string);
  'full'?: (boolean);
  'added'?: (_cairn_ChunkRef)[];
  'removed'?: (_cairn_ChunkRef)[];
  'corrupt'?: (_cairn_ChunkRef)[];
}

export interface ChunkReportRequest__Output {
  'datanodeId': (string);
  'full': (boolean);
  'added': (_cairn_ChunkRef__Output)[];
  'removed': (_cairn_ChunkRef__Output)[];
  'corrupt': (_cairn_ChunkRef__Output)[];
}
