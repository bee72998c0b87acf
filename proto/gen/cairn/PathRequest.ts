// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface PathRequest {
  'path'?: (string);
  'follow'?: (boolean);
  'expectInode'?: (number | string | Long);
  'parentWhenAbsent'?: (boolean);
}

export interface PathRequest__Output {
  'path': (string);
  'follow': (boolean);
  'expectInode': (number);
  'parentWhenAbsent': (boolean);
}
