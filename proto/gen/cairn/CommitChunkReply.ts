// Original file: proto/cairn.proto

import type { Attr as _cairn_Attr, Attr__Output as _cairn_Attr__Output } from '../cairn/Attr.js';
import type { PrepareChunkReply as _cairn_PrepareChunkReply, PrepareChunkReply__Output as _cairn_PrepareChunkReply__Output } from '../cairn/PrepareChunkReply.js';

export interface CommitChunkReply {
  'attr'?: (_cairn_Attr | null);
  'dirs'?: (_cairn_Attr)[];
  'next'?: (_cairn_PrepareChunkReply | null);
}

export interface CommitChunkReply__Output {
  'attr': (_cairn_Attr__Output | null);
  'dirs': (_cairn_Attr__Output)[];
  'next': (_cairn_PrepareChunkReply__Output | null);
}
