// Original file: proto/cairn.proto


export interface ReadlinkReply {
  'target'?: (string);
}

export interface ReadlinkReply__Output {
  'target': (string);
}
