// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface OpenRequest {
  'path'?: (string);
  'write'?: (boolean);
  'create'?: (boolean);
  'exclusive'?: (boolean);
  'truncate'?: (boolean);
  'mode'?: (number);
  'replication'?: (number);
  'chunks'?: (number);
  'leaseAtFirstWrite'?: (boolean);
  'inode'?: (number | string | Long);
  'parentInode'?: (number | string | Long);
  'wantGrant'?: (boolean);
  'reserve'?: (number);
}

export interface OpenRequest__Output {
  'path': (string);
  'write': (boolean);
  'create': (boolean);
  'exclusive': (boolean);
  'truncate': (boolean);
  'mode': (number);
  'replication': (number);
  'chunks': (number);
  'leaseAtFirstWrite': (boolean);
  'inode': (number);
  'parentInode': (number);
  'wantGrant': (boolean);
  'reserve': (number);
}
