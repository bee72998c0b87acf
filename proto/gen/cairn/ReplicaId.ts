// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplicaId {
  'chunkId'?: (number | string | Long);
  'gen'?: (number | string | Long);
}

export interface ReplicaId__Output {
  'chunkId': (number);
  'gen': (number);
}
