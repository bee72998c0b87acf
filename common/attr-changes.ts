// Attribute changes as chmod, chown and utimes make them (times in ms since the epoch; a field
// left out is not changed): what the SDK sends and the namenode applies (SetAttr, and a commit's
// set_attr, both as the AttrChanges message of proto/cairn.proto).

export interface AttrChanges {
  mode?: number;
  uid?: number;
  gid?: number;
  atimeMs?: number;
  mtimeMs?: number;
  /**
   * Clears setuid, and setgid when the group may execute, after any mode above: what Linux does to
   * a file at a chown, and at a write or truncate by a caller without CAP_FSETID (a mount's
   * HANDLE_KILLPRIV_V2). Needs no ownership: it only takes privileges away.
   */
  killSuidgid?: boolean;
}

/** `mode` without setuid, and without setgid when the group may execute (setgid alone marks mandatory locking), as Linux clears them. */
export function withoutSuidgid(mode: number): number {
  return mode & ((mode & 0o010) !== 0 ? ~0o6000 : ~0o4000);
}

/** Whether `mode` has a bit withoutSuidgid clears. */
export function hasSuidgid(mode: number): boolean {
  return withoutSuidgid(mode) !== mode;
}
