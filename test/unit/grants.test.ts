// Directory grants (namenode/grants.ts): who may touch a granted directory, how a wait for the
// grant ends, and when a directory is shared.

import { describe, expect, it } from 'vitest';
import { DirGrants, GrantHeld, ReservedInodes } from '../../namenode/grants.js';

const now = (): number => performance.now();
const root = (clientId: string): { clientId: string; uid: number } => ({ clientId, uid: 0 });

describe('DirGrants', () => {
  it('only the holder passes the guard; others get GrantHeld naming the directory', () => {
    const grants = new DirGrants(now, 1000);
    expect(grants.give(root('m1'), 7)).toBe(1000);
    expect(() => grants.guard('m1', 7)).not.toThrow();
    expect(() => grants.guard('m2', 8)).not.toThrow(); // another directory
    let thrown: unknown;
    try {
      grants.guard('m2', 7);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GrantHeld);
    expect((thrown as GrantHeld).dir).toBe(7);
    expect(grants.give(root('m2'), 7)).toBe(0);
  });

  it('a wait ends after the last extension, tells the holder to stop, and leaves the directory shared', async () => {
    let clock = 0;
    const grants = new DirGrants(() => clock, 30, 60_000);
    grants.give(root('m1'), 7);
    let ended = false;
    const waited = grants.waitOut(7).then(() => (ended = true));
    // The holder's creates keep arriving while it waits: each extends the grant, and is told to stop.
    clock = 20;
    expect(grants.extend('m1', 7)).toBe(0); // the grant now ends at 50
    clock = 40; // past the first end
    await new Promise((resolve) => setTimeout(resolve, 100)); // the wait looks again meanwhile (real timers)
    expect(ended).toBe(false);
    expect(() => grants.guard('m2', 7)).toThrow(GrantHeld);
    clock = 51;
    await waited;
    expect(() => grants.guard('m2', 7)).not.toThrow();
    // Ended: the holder's late creates extend nothing, and nobody gets it while others use it.
    expect(grants.extend('m1', 7)).toBe(0);
    expect(grants.give(root('m1'), 7)).toBe(0);
    expect(grants.give(root('m2'), 7)).toBe(0);
  });

  it('a shared directory left alone by others can be granted again; its former holder does not keep it shared', async () => {
    const grants = new DirGrants(now, 5, 20);
    grants.give(root('m1'), 7);
    await grants.waitOut(7);
    expect(grants.give(root('m1'), 7)).toBe(0);
    const deadline = now() + 5_000;
    while (now() < deadline && grants.give(root('m1'), 7) === 0) {
      grants.guard('m1', 7); // the former holder's own use does not count
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(grants.size).toBe(1);
    expect(() => grants.guard('m2', 7)).toThrow(GrantHeld);
  });

  it('waiters of one grant all end together; sweep forgets grants long ended', async () => {
    const grants = new DirGrants(now, 10);
    grants.give(root('m1'), 7);
    await Promise.all([grants.waitOut(7), grants.waitOut(7), grants.waitOut(7)]);
    expect(grants.size).toBe(0);
    let clock = 0;
    const swept = new DirGrants(() => clock, 10);
    swept.give(root('m1'), 9);
    clock = 50;
    swept.sweep();
    expect(swept.size).toBe(1); // ended, but a late create could still be on its way
    clock = 1000;
    swept.sweep();
    expect(swept.size).toBe(0);
  });

  it('only root clients that name themselves get grants', () => {
    const grants = new DirGrants(now, 1000);
    expect(grants.give({ clientId: 'm1', uid: 1000 }, 7)).toBe(0);
    expect(grants.give({ clientId: '', uid: 0 }, 7)).toBe(0);
    expect(grants.size).toBe(0);
  });

  it('a holder that does not stop extends a recalled grant by a few lengths at most', async () => {
    let clock = 0;
    const grants = new DirGrants(() => clock, 10);
    grants.give(root('m1'), 7);
    const waited = grants.waitOut(7); // recalled at 0
    for (clock = 0; clock <= 200; clock += 5) expect(grants.extend('m1', 7)).toBe(0);
    // The clock stands still from here: only a grant that ended by 5 lengths after the recall lets the wait end.
    clock = 61;
    const ended = await Promise.race([waited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 2000))]);
    expect(ended).toBe(true);
    expect(grants.size).toBe(0);
  });
});

describe('ReservedInodes', () => {
  it('knows each reserved inode as fresh until made, for its own client only', () => {
    let clock = 0;
    const reserved = new ReservedInodes(() => clock, 1000);
    reserved.reserve('m1', 100, 16);
    reserved.reserve('m2', 116, 16);
    reserved.reserve('m1', 200, 8);
    expect(reserved.state('m1', 100)).toBe('fresh');
    reserved.made(100);
    expect(reserved.state('m1', 100)).toBe('made');
    expect(reserved.state('m1', 101)).toBe('fresh');
    reserved.made(115);
    expect(reserved.state('m1', 115)).toBe('made');
    expect(reserved.state('m1', 116)).toBe('foreign');
    expect(reserved.state('m2', 131)).toBe('fresh');
    expect(reserved.state('m1', 207)).toBe('fresh');
    for (const ino of [99, 132, 150, 208]) expect(reserved.state('m1', ino)).toBe('unknown');
    // Kept while used: the range made into at 900 stays past 1000, the others go.
    clock = 900;
    reserved.made(201);
    clock = 1500;
    reserved.sweep();
    expect(reserved.state('m1', 201)).toBe('made');
    expect(reserved.state('m1', 101)).toBe('unknown');
    expect(reserved.state('m2', 120)).toBe('unknown');
  });
});
