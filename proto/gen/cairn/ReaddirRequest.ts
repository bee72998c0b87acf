// Original file: proto/cairn.proto


export interface ReaddirRequest {
  'path'?: (string);
  'startAfter'?: (string);
  'limit'?: (number);
}

export interface ReaddirRequest__Output {
  'path': (string);
  'startAfter': (string);
  'limit': (number);
}
