// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface FsckReply {
  'files'?: (number | string | Long);
  'directories'?: (number | string | Long);
  'chunks'?: (number | string | Long);
  'bytes'?: (number | string | Long);
  'underReplicated'?: (number | string | Long);
  'missing'?: (number | string | Long);
  'corrupt'?: (number | string | Long);
  'healthy'?: (boolean);
  'problems'?: (string)[];
}

export interface FsckReply__Output {
  'files': (number);
  'directories': (number);
  'chunks': (number);
  'bytes': (number);
  'underReplicated': (number);
  'missing': (number);
  'corrupt': (number);
  'healthy': (boolean);
  'problems': (string)[];
}
