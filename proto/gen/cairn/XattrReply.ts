// Original file: proto/cairn.proto


export interface XattrReply {
  'value'?: (Buffer | Uint8Array | string);
  'names'?: (string)[];
}

export interface XattrReply__Output {
  'value': (Buffer);
  'names': (string)[];
}
