// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface ChunkRef {
  'chunkId'?: (number | string | Long);
  'gen'?: (number | string | Long);
  'lengthBytes'?: (number | string | Long);
}

export interface ChunkRef__Output {
  'chunkId': (number);
  'gen': (number);
  'lengthBytes': (number);
}
