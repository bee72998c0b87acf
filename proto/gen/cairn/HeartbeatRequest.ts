// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatRequest {
  'datanodeId'?: (string);
  'capacityBytes'?: (number | string | Long);
  'usedBytes'?: (number | string | Long);
  'activeTransfers'?: (number);
  'chunks'?: (number | string | Long);
  'availableBytes'?: (number | string | Long);
}

export interface HeartbeatRequest__Output {
  'datanodeId': (string);
  'capacityBytes': (number);
  'usedBytes': (number);
  'activeTransfers': (number);
  'chunks': (number);
  'availableBytes': (number);
}
