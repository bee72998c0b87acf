// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface InodeRequest {
  'inode'?: (number | string | Long);
}

export interface InodeRequest__Output {
  'inode': (number);
}
