// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface GetChunksRequest {
  'inode'?: (number | string | Long);
  'fromIndex'?: (number | string | Long);
  'count'?: (number);
}

export interface GetChunksRequest__Output {
  'inode': (number);
  'fromIndex': (number);
  'count': (number);
}
