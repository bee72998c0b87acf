// Original file: proto/cairn.proto


export interface LinkRequest {
  'existing'?: (string);
  'path'?: (string);
}

export interface LinkRequest__Output {
  'existing': (string);
  'path': (string);
}
