// The POSIX access check on a node's mode bits: one rule for the namenode (every call it
// checks) and for the mount (access(2) on a mount without default_permissions).

/** What access(2) asks for, numbered as it and the kernel number them. */
export const R = 4;
export const W = 2;
export const X = 1;

/** Who asks: a user, its primary group and its supplementary groups (none when not known). */
export interface Asker {
  uid: number;
  gid: number;
  groups?: readonly number[];
}

/** Whether `caller` belongs to group `gid` (its primary group or a supplementary one). */
export function inGroup(caller: Asker, gid: number): boolean {
  return caller.gid === gid || (caller.groups?.includes(gid) ?? false);
}

/**
 * Whether `caller` may access as `want` asks a node of `owner` whose permission bits are `perm`:
 * the owner's, the group's (the caller in the node's group, primary or supplementary) or the
 * others' bits; root may do anything but execute a node that is not a directory and has no
 * execute bit.
 */
export function permits(owner: { uid: number; gid: number }, perm: number, isDir: boolean, caller: Asker, want: number): boolean {
  if (caller.uid === 0) return (want & X) === 0 || isDir || (perm & 0o111) !== 0;
  const bits = caller.uid === owner.uid ? (perm >> 6) & 7 : inGroup(caller, owner.gid) ? (perm >> 3) & 7 : perm & 7;
  return (bits & want) === want;
}
