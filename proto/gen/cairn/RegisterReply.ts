// Original file: proto/cairn.proto


export interface RegisterReply {
  'clusterId'?: (string);
  'heartbeatMs'?: (number);
  'fullReportMs'?: (number);
}

export interface RegisterReply__Output {
  'clusterId': (string);
  'heartbeatMs': (number);
  'fullReportMs': (number);
}
