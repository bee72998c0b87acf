// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface AttrChanges {
  'setMode'?: (boolean);
  'mode'?: (number);
  'setUid'?: (boolean);
  'uid'?: (number);
  'setGid'?: (boolean);
  'gid'?: (number);
  'setAtime'?: (boolean);
  'atimeMs'?: (number | string | Long);
  'setMtime'?: (boolean);
  'mtimeMs'?: (number | string | Long);
  'killSuidgid'?: (boolean);
}

export interface AttrChanges__Output {
  'setMode': (boolean);
  'mode': (number);
  'setUid': (boolean);
  'uid': (number);
  'setGid': (boolean);
  'gid': (number);
  'setAtime': (boolean);
  'atimeMs': (number);
  'setMtime': (boolean);
  'mtimeMs': (number);
  'killSuidgid': (boolean);
}
