// Original file: proto/cairn.proto

import type { FileType as _cairn_FileType, FileType__Output as _cairn_FileType__Output } from '../cairn/FileType.js';
import type { Long } from '@grpc/proto-loader';

export interface Attr {
  'inode'?: (number | string | Long);
  'type'?: (_cairn_FileType);
  'mode'?: (number);
  'uid'?: (number);
  'gid'?: (number);
  'sizeBytes'?: (number | string | Long);
  'nlink'?: (number);
  'atimeMs'?: (number | string | Long);
  'mtimeMs'?: (number | string | Long);
  'ctimeMs'?: (number | string | Long);
  'replication'?: (number);
  'chunkSizeBytes'?: (number | string | Long);
  'dirVersion'?: (number | string | Long);
  'noXattrs'?: (boolean);
}

export interface Attr__Output {
  'inode': (number);
  'type': (_cairn_FileType__Output);
  'mode': (number);
  'uid': (number);
  'gid': (number);
  'sizeBytes': (number);
  'nlink': (number);
  'atimeMs': (number);
  'mtimeMs': (number);
  'ctimeMs': (number);
  'replication': (number);
  'chunkSizeBytes': (number);
  'dirVersion': (number);
  'noXattrs': (boolean);
}
