// Original file: proto/cairn.proto


export interface ReadFrame {
  'data'?: (Buffer | Uint8Array | string);
}

export interface ReadFrame__Output {
  'data': (Buffer);
}
