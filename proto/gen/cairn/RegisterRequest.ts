// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface RegisterRequest {
  'datanodeId'?: (string);
  'address'?: (string);
  'clusterId'?: (string);
  'capacityBytes'?: (number | string | Long);
  'usedBytes'?: (number | string | Long);
  'availableBytes'?: (number | string | Long);
}

export interface RegisterRequest__Output {
  'datanodeId': (string);
  'address': (string);
  'clusterId': (string);
  'capacityBytes': (number);
  'usedBytes': (number);
  'availableBytes': (number);
}
