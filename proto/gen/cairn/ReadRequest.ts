// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadRequest {
  'chunkId'?: (number | string | Long);
  'gen'?: (number | string | Long);
  'offsetBytes'?: (number | string | Long);
  'lengthBytes'?: (number | string | Long);
  'token'?: (string);
}

export interface ReadRequest__Output {
  'chunkId': (number);
  'gen': (number);
  'offsetBytes': (number);
  'lengthBytes': (number);
  'token': (string);
}
