// Original file: proto/cairn.proto


export interface RenameRequest {
  'src'?: (string);
  'dst'?: (string);
}

export interface RenameRequest__Output {
  'src': (string);
  'dst': (string);
}
