// Original file: proto/cairn.proto


export interface XattrRequest {
  'path'?: (string);
  'follow'?: (boolean);
  'name'?: (string);
}

export interface XattrRequest__Output {
  'path': (string);
  'follow': (boolean);
  'name': (string);
}
