// Original file: proto/cairn.proto

import type { DatanodeReport as _cairn_DatanodeReport, DatanodeReport__Output as _cairn_DatanodeReport__Output } from '../cairn/DatanodeReport.js';
import type { Long } from '@grpc/proto-loader';

export interface ReportReply {
  'clusterId'?: (string);
  'safeMode'?: (boolean);
  'datanodes'?: (_cairn_DatanodeReport)[];
  'chunkSizeBytes'?: (number | string | Long);
  'defaultReplication'?: (number);
  'replicationsScheduled'?: (number | string | Long);
  'replicationsPending'?: (number | string | Long);
  'underReplicated'?: (number | string | Long);
  'chunksTotal'?: (number | string | Long);
  'chunksReported'?: (number | string | Long);
}

export interface ReportReply__Output {
  'clusterId': (string);
  'safeMode': (boolean);
  'datanodes': (_cairn_DatanodeReport__Output)[];
  'chunkSizeBytes': (number);
  'defaultReplication': (number);
  'replicationsScheduled': (number);
  'replicationsPending': (number);
  'underReplicated': (number);
  'chunksTotal': (number);
  'chunksReported': (number);
}
