// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface WriteAck {
  'datanodeIds'?: (string)[];
  'lengthBytes'?: (number | string | Long);
  'failed'?: (string)[];
}

export interface WriteAck__Output {
  'datanodeIds': (string)[];
  'lengthBytes': (number);
  'failed': (string)[];
}
