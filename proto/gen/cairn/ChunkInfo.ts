// Original file: proto/cairn.proto

import type { DatanodeAddress as _cairn_DatanodeAddress, DatanodeAddress__Output as _cairn_DatanodeAddress__Output } from '../cairn/DatanodeAddress.js';
import type { Long } from '@grpc/proto-loader';

export interface ChunkInfo {
  'index'?: (number | string | Long);
  'chunkId'?: (number | string | Long);
  'gen'?: (number | string | Long);
  'lengthBytes'?: (number | string | Long);
  'locations'?: (_cairn_DatanodeAddress)[];
  'token'?: (string);
}

export interface ChunkInfo__Output {
  'index': (number);
  'chunkId': (number);
  'gen': (number);
  'lengthBytes': (number);
  'locations': (_cairn_DatanodeAddress__Output)[];
  'token': (string);
}
