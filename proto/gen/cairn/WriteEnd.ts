// Original file: proto/cairn.proto


export interface WriteEnd {
  'sync'?: (boolean);
}

export interface WriteEnd__Output {
  'sync': (boolean);
}
