// Original file: proto/cairn.proto

import type { Attr as _cairn_Attr, Attr__Output as _cairn_Attr__Output } from '../cairn/Attr.js';

export interface ChangeReply {
  'dirs'?: (_cairn_Attr)[];
}

export interface ChangeReply__Output {
  'dirs': (_cairn_Attr__Output)[];
}
