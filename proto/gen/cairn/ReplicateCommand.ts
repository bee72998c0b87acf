// Original file: proto/cairn.proto

import type { DatanodeAddress as _cairn_DatanodeAddress, DatanodeAddress__Output as _cairn_DatanodeAddress__Output } from '../cairn/DatanodeAddress.js';
import type { Long } from '@grpc/proto-loader';

export interface ReplicateCommand {
  'chunkId'?: (number | string | Long);
  'gen'?: (number | string | Long);
  'lengthBytes'?: (number | string | Long);
  'targets'?: (_cairn_DatanodeAddress)[];
  'token'?: (string);
}

export interface ReplicateCommand__Output {
  'chunkId': (number);
  'gen': (number);
  'lengthBytes': (number);
  'targets': (_cairn_DatanodeAddress__Output)[];
  'token': (string);
}
