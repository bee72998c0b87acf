// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface CommitChunkRequest {
  'inode'?: (number | string | Long);
  'index'?: (number | string | Long);
  'chunkId'?: (number | string | Long);
  'gen'?: (number | string | Long);
  'lengthBytes'?: (number | string | Long);
  'datanodeIds'?: (string)[];
  'mtimeMs'?: (number | string | Long);
  'sync'?: (boolean);
  'releaseLease'?: (boolean);
}

export interface CommitChunkRequest__Output {
  'inode': (number);
  'index': (number);
  'chunkId': (number);
  'gen': (number);
  'lengthBytes': (number);
  'datanodeIds': (string)[];
  'mtimeMs': (number);
  'sync': (boolean);
  'releaseLease': (boolean);
}
