// When `cairn cluster` starts a crashed server again (client/cli/restarts.ts).

import { describe, expect, it } from 'vitest';
import { coreHint, isCrash, RestartPolicy } from '../../client/cli/restarts.js';

describe('restart policy', () => {
  it('waits longer after each crash within the window, and gives up past the limit', () => {
    const policy = new RestartPolicy({ crashesMax: 4, windowMs: 60_000, firstDelayMs: 500, maxDelayMs: 3_000 });
    expect([0, 1_000, 2_000, 3_000].map((t) => policy.crashed(t))).toEqual([500, 1_000, 2_000, 3_000]);
    expect(policy.crashed(4_000)).toBeUndefined();
  });

  it('forgets crashes older than the window: a server that crashes now and then is always started again', () => {
    const policy = new RestartPolicy({ crashesMax: 2, windowMs: 10_000, firstDelayMs: 100, maxDelayMs: 1_000 });
    for (let t = 0; t < 100_000; t += 10_000) expect(policy.crashed(t)).toBe(100);
    expect(policy.crashed(95_000)).toBe(200);
    expect(policy.crashed(96_000)).toBeUndefined();
  });

  it('counts signals and non-zero exits as crashes, not a clean exit', () => {
    expect(isCrash(null, 'SIGKILL')).toBe(true);
    expect(isCrash(null, 'SIGSEGV')).toBe(true);
    expect(isCrash(1, null)).toBe(true);
    expect(isCrash(0, null)).toBe(false);
  });

  it('says how to keep a core dump after a native crash, and nothing after a kill', () => {
    expect(coreHint('SIGSEGV', true)).toMatch(/ulimit -c unlimited/);
    expect(coreHint('SIGABRT', false)).toMatch(/core_pattern/);
    expect(coreHint('SIGKILL', true)).toBeUndefined();
    expect(coreHint(null, true)).toBeUndefined();
  });
});
