// Original file: proto/cairn.proto


export interface DatanodeAddress {
  'id'?: (string);
  'address'?: (string);
}

export interface DatanodeAddress__Output {
  'id': (string);
  'address': (string);
}
