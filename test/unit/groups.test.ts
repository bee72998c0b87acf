// Supplementary groups: what a caller may claim on the wire (common/rpc.ts groupsFrom), and what
// the mount reads for a FUSE request's process (client/fuse/identities.ts supplementaryGroups).

import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { groupsFrom, groupsMax } from '../../common/rpc.js';
import { inGroup, permits, W } from '../../common/access.js';
import { supplementaryGroups } from '../../client/fuse/identities.js';
import { waitFor } from '../helpers/mini-cluster.js';

describe('supplementary groups', () => {
  it('groupsFrom keeps valid group ids only, at most groupsMax', () => {
    expect(groupsFrom('4242,7,x,-1,4.5,0')).toEqual([4242, 7, 0]);
    expect(groupsFrom([1, 2, 'three', 2 ** 32])).toEqual([1, 2]);
    expect(groupsFrom(undefined)).toEqual([]);
    expect(groupsFrom('')).toEqual([]);
    expect(groupsFrom(Array.from({ length: 1000 }, (_, i) => i))).toHaveLength(groupsMax);
  });

  it('the group bits apply to a member through any of its groups', () => {
    const dir = { uid: 0, gid: 4242 };
    expect(permits(dir, 0o770, true, { uid: 1000, gid: 1000 }, W)).toBe(false);
    expect(permits(dir, 0o770, true, { uid: 1000, gid: 1000, groups: [7, 4242] }, W)).toBe(true);
    expect(inGroup({ uid: 1000, gid: 4242 }, 4242)).toBe(true);
    expect(inGroup({ uid: 1000, gid: 1000, groups: [7] }, 4242)).toBe(false);
  });

  it('supplementaryGroups reads a process\'s groups from /proc; none for a process that is gone', async () => {
    const child = spawn('setpriv', ['--groups', '11,22,4242', 'sleep', '30'], { stdio: 'ignore' });
    try {
      await waitFor(() => supplementaryGroups(child.pid as number).length > 0, 10_000, 'the child to run with its groups');
      expect(supplementaryGroups(child.pid as number)).toEqual([11, 22, 4242]);
    } finally {
      child.kill('SIGKILL');
    }
    expect(supplementaryGroups(0)).toEqual([]);
    expect(supplementaryGroups(2 ** 22 + 12345)).toEqual([]); // above pid_max: no such process
  });
});
