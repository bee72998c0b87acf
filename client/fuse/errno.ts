// Errnos of the mount that have no CairnError code: they concern the kernel's view only.

/** An error answered to the kernel as this errno. */
export class Errno extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

/** Function not implemented: the kernel stops asking for most operations answered so. */
export const ENOSYS = 38;
/** The name the kernel holds now leads to another inode: the kernel looks it up again. */
export const ESTALE = 116;
