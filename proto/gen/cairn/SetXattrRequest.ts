// Original file: proto/cairn.proto


export interface SetXattrRequest {
  'path'?: (string);
  'follow'?: (boolean);
  'name'?: (string);
  'value'?: (Buffer | Uint8Array | string);
  'create'?: (boolean);
  'replace'?: (boolean);
}

export interface SetXattrRequest__Output {
  'path': (string);
  'follow': (boolean);
  'name': (string);
  'value': (Buffer);
  'create': (boolean);
  'replace': (boolean);
}
