// Original file: proto/cairn.proto


export interface OpenRequest {
  'path'?: (string);
  'write'?: (boolean);
  'create'?: (boolean);
  'exclusive'?: (boolean);
  'truncate'?: (boolean);
  'mode'?: (number);
  'replication'?: (number);
  'chunks'?: (number);
  'leaseAtFirstWrite'?: (boolean);
}

export interface OpenRequest__Output {
  'path': (string);
  'write': (boolean);
  'create': (boolean);
  'exclusive': (boolean);
  'truncate': (boolean);
  'mode': (number);
  'replication': (number);
  'chunks': (number);
  'leaseAtFirstWrite': (boolean);
}
