// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

export interface StatfsReply {
  'capacityBytes'?: (number | string | Long);
  'usedBytes'?: (number | string | Long);
  'availableBytes'?: (number | string | Long);
  'liveDatanodes'?: (number);
  'defaultReplication'?: (number);
  'chunkSizeBytes'?: (number | string | Long);
}

export interface StatfsReply__Output {
  'capacityBytes': (number);
  'usedBytes': (number);
  'availableBytes': (number);
  'liveDatanodes': (number);
  'defaultReplication': (number);
  'chunkSizeBytes': (number);
}
