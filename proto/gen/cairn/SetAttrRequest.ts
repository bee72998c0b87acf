// Original file: proto/cairn.proto

import type { AttrChanges as _cairn_AttrChanges, AttrChanges__Output as _cairn_AttrChanges__Output } from '../cairn/AttrChanges.js';
import type { Long } from '@grpc/proto-loader';

export interface SetAttrRequest {
  'path'?: (string);
  'follow'?: (boolean);
  'changes'?: (_cairn_AttrChanges | null);
  'expectInode'?: (number | string | Long);
}

export interface SetAttrRequest__Output {
  'path': (string);
  'follow': (boolean);
  'changes': (_cairn_AttrChanges__Output | null);
  'expectInode': (number);
}
