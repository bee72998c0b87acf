// Original file: proto/cairn.proto

import type { DatanodeAddress as _cairn_DatanodeAddress, DatanodeAddress__Output as _cairn_DatanodeAddress__Output } from '../cairn/DatanodeAddress.js';
import type { Long } from '@grpc/proto-loader';

export interface PrepareChunkReply {
  'chunkId'?: (number | string | Long);
  'gen'?: (number | string | Long);
  'baseGen'?: (number | string | Long);
  'baseLengthBytes'?: (number | string | Long);
  'pipeline'?: (_cairn_DatanodeAddress)[];
  'token'?: (string);
  'fileSizeBytes'?: (number | string | Long);
}

export interface PrepareChunkReply__Output {
  'chunkId': (number);
  'gen': (number);
  'baseGen': (number);
  'baseLengthBytes': (number);
  'pipeline': (_cairn_DatanodeAddress__Output)[];
  'token': (string);
  'fileSizeBytes': (number);
}
