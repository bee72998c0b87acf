// Original file: proto/cairn.proto


export interface Empty {
}

export interface Empty__Output {
}
