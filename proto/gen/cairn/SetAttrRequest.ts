// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface SetAttrRequest {
  'path'?: (string);
  'follow'?: (boolean);
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
}

export interface SetAttrRequest__Output {
  'path': (string);
  'follow': (boolean);
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
}
