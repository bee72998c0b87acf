// Original file: proto/cairn.proto

import type { ReplicaId as _cairn_ReplicaId, ReplicaId__Output as _cairn_ReplicaId__Output } from '../cairn/ReplicaId.js';

export interface SyncRequest {
  'replicas'?: (_cairn_ReplicaId)[];
}

export interface SyncRequest__Output {
  'replicas': (_cairn_ReplicaId__Output)[];
}
