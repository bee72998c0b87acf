// Original file: proto/cairn.proto


export interface SymlinkRequest {
  'target'?: (string);
  'path'?: (string);
}

export interface SymlinkRequest__Output {
  'target': (string);
  'path': (string);
}
