// Original file: proto/cairn.proto

import type { Attr as _cairn_Attr, Attr__Output as _cairn_Attr__Output } from '../cairn/Attr.js';

export interface AttrReply {
  'attr'?: (_cairn_Attr | null);
  'dirs'?: (_cairn_Attr)[];
}

export interface AttrReply__Output {
  'attr': (_cairn_Attr__Output | null);
  'dirs': (_cairn_Attr__Output)[];
}
