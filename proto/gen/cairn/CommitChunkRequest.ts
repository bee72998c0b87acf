// Original file: proto/cairn.proto

import type { AttrChanges as _cairn_AttrChanges, AttrChanges__Output as _cairn_AttrChanges__Output } from '../cairn/AttrChanges.js';
import type { Long } from '@grpc/proto-loader';

export interface CommitChunkRequest {
  'inode'?: (number | string | Long);
  'index'?: (number | string | Long);
  'chunkId'?: (number | string | Long);
  'gen'?: (number | string | Long);
  'lengthBytes'?: (number | string | Long);
  'datanodeIds'?: (string)[];
  'mtimeMs'?: (number | string | Long);
  'sync'?: (boolean);
  'releaseLease'?: (boolean);
  'setAttr'?: (_cairn_AttrChanges | null);
  'allocated'?: (boolean);
  'checkSize'?: (boolean);
  'expectSizeBytes'?: (number | string | Long);
  'prepareNext'?: (boolean);
}

export interface CommitChunkRequest__Output {
  'inode': (number);
  'index': (number);
  'chunkId': (number);
  'gen': (number);
  'lengthBytes': (number);
  'datanodeIds': (string)[];
  'mtimeMs': (number);
  'sync': (boolean);
  'releaseLease': (boolean);
  'setAttr': (_cairn_AttrChanges__Output | null);
  'allocated': (boolean);
  'checkSize': (boolean);
  'expectSizeBytes': (number);
  'prepareNext': (boolean);
}
