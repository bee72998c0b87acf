// Original file: proto/cairn.proto

import type { DatanodeAddress as _cairn_DatanodeAddress, DatanodeAddress__Output as _cairn_DatanodeAddress__Output } from '../cairn/DatanodeAddress.js';
import type { Long } from '@grpc/proto-loader';

export interface WriteHeader {
  'chunkId'?: (number | string | Long);
  'gen'?: (number | string | Long);
  'baseGen'?: (number | string | Long);
  'offsetBytes'?: (number | string | Long);
  'finalLengthBytes'?: (number | string | Long);
  'token'?: (string);
  'downstream'?: (_cairn_DatanodeAddress)[];
  'baseLengthBytes'?: (number | string | Long);
  'baseDurable'?: (boolean);
}

export interface WriteHeader__Output {
  'chunkId': (number);
  'gen': (number);
  'baseGen': (number);
  'offsetBytes': (number);
  'finalLengthBytes': (number);
  'token': (string);
  'downstream': (_cairn_DatanodeAddress__Output)[];
  'baseLengthBytes': (number);
  'baseDurable': (boolean);
}
