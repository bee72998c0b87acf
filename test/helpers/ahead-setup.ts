// The cluster and two mounts of a test file about changes a mount answers ahead of the namenode
// (creates, unlinks, closes), started before the file's tests and stopped after them.

import { afterAll, beforeAll } from 'vitest';
import { fuseUnavailable, startAheadSetup, stopAheadSetup, type AheadSetup } from './mount.js';

/**
 * startAheadSetup for the calling test file (nothing when FUSE is unavailable): `answered` and
 * `failed` are the log lines of mount `a` counted. The object returned is filled in once started.
 */
export function aheadSetupOfFile(answered: string, failed: string): AheadSetup {
  const setup = {} as AheadSetup;
  beforeAll(async () => {
    if (fuseUnavailable() !== undefined) return;
    Object.assign(setup, await startAheadSetup(answered, failed));
  });
  afterAll(() => stopAheadSetup(setup));
  return setup;
}
