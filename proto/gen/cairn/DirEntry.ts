// Original file: proto/cairn.proto

import type { Attr as _cairn_Attr, Attr__Output as _cairn_Attr__Output } from '../cairn/Attr.js';

export interface DirEntry {
  'name'?: (string);
  'attr'?: (_cairn_Attr | null);
}

export interface DirEntry__Output {
  'name': (string);
  'attr': (_cairn_Attr__Output | null);
}
