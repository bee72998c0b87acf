// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface DatanodeReport {
  'id'?: (string);
  'address'?: (string);
  'state'?: (string);
  'capacityBytes'?: (number | string | Long);
  'usedBytes'?: (number | string | Long);
  'chunks'?: (number | string | Long);
  'lastHeartbeatMsAgo'?: (number | string | Long);
  'activeTransfers'?: (number);
  'availableBytes'?: (number | string | Long);
}

export interface DatanodeReport__Output {
  'id': (string);
  'address': (string);
  'state': (string);
  'capacityBytes': (number);
  'usedBytes': (number);
  'chunks': (number);
  'lastHeartbeatMsAgo': (number);
  'activeTransfers': (number);
  'availableBytes': (number);
}
