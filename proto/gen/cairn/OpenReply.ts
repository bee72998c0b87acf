// Original file: proto/cairn.proto

import type { Attr as _cairn_Attr, Attr__Output as _cairn_Attr__Output } from '../cairn/Attr.js';

export interface OpenReply {
  'attr'?: (_cairn_Attr | null);
  'leaseMs'?: (number);
  'dirs'?: (_cairn_Attr)[];
}

export interface OpenReply__Output {
  'attr': (_cairn_Attr__Output | null);
  'leaseMs': (number);
  'dirs': (_cairn_Attr__Output)[];
}
