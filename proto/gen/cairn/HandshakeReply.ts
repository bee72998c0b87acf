// Original file: proto/cairn.proto


export interface HandshakeReply {
  'frameRpcPort'?: (number);
  'localSocket'?: (string);
}

export interface HandshakeReply__Output {
  'frameRpcPort': (number);
  'localSocket': (string);
}
