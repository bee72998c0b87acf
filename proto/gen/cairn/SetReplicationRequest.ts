// Original file: proto/cairn.proto


export interface SetReplicationRequest {
  'path'?: (string);
  'replication'?: (number);
}

export interface SetReplicationRequest__Output {
  'path': (string);
  'replication': (number);
}
