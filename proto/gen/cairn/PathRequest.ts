// Original file: proto/cairn.proto


export interface PathRequest {
  'path'?: (string);
  'follow'?: (boolean);
}

export interface PathRequest__Output {
  'path': (string);
  'follow': (boolean);
}
