// Original file: proto/cairn.proto


export interface DecommissionRequest {
  'datanodeId'?: (string);
}

export interface DecommissionRequest__Output {
  'datanodeId': (string);
}
