// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface PrepareChunkRequest {
  'inode'?: (number | string | Long);
  'index'?: (number | string | Long);
  'excludeDatanodes'?: (string)[];
}

export interface PrepareChunkRequest__Output {
  'inode': (number);
  'index': (number);
  'excludeDatanodes': (string)[];
}
