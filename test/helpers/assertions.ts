// Assertions shared by the unit tests.

import { expect } from 'vitest';
import { CairnError, type ErrorCode } from '../../common/errors.js';

/** The promise rejects with a CairnError carrying exactly `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(CairnError);
  expect((err as CairnError).code).toBe(code);
}
