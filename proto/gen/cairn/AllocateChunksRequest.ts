// Original file: proto/cairn.proto


export interface AllocateChunksRequest {
  'count'?: (number);
  'replication'?: (number);
}

export interface AllocateChunksRequest__Output {
  'count': (number);
  'replication': (number);
}
