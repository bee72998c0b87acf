// Original file: proto/cairn.proto


export interface HandshakeReply {
  'frameRpcPort'?: (number);
}

export interface HandshakeReply__Output {
  'frameRpcPort': (number);
}
