// Attribute changes as chmod, chown and utimes make them (times in ms since the epoch; a field
// left out is not changed): what the SDK sends and the namenode applies (SetAttr, and a commit's
// set_attr, both as the AttrChanges message of proto/cairn.proto).

export interface AttrChanges {
  mode?: number;
  uid?: number;
  gid?: number;
  atimeMs?: number;
  mtimeMs?: number;
}
