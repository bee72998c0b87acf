// Original file: proto/cairn.proto


export interface HandshakeReply {
  'frameRpcPort'?: (number);
  'localSocket'?: (string);
  'sharedCalls'?: (boolean);
}

export interface HandshakeReply__Output {
  'frameRpcPort': (number);
  'localSocket': (string);
  'sharedCalls': (boolean);
}
