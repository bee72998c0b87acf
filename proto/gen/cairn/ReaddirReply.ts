// Original file: proto/cairn.proto

import type { DirEntry as _cairn_DirEntry, DirEntry__Output as _cairn_DirEntry__Output } from '../cairn/DirEntry.js';

export interface ReaddirReply {
  'entries'?: (_cairn_DirEntry)[];
  'more'?: (boolean);
}

export interface ReaddirReply__Output {
  'entries': (_cairn_DirEntry__Output)[];
  'more': (boolean);
}
