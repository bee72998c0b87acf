// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface TruncateRequest {
  'inode'?: (number | string | Long);
  'sizeBytes'?: (number | string | Long);
}

export interface TruncateRequest__Output {
  'inode': (number);
  'sizeBytes': (number);
}
