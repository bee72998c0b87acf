// Original file: proto/cairn.proto


export interface MkdirRequest {
  'path'?: (string);
  'mode'?: (number);
  'recursive'?: (boolean);
}

export interface MkdirRequest__Output {
  'path': (string);
  'mode': (number);
  'recursive': (boolean);
}
