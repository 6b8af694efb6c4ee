import assert from 'node:assert/strict';
import { AppError } from '../../src/errors.ts';

/** An `assert.rejects` validator: the error is an AppError with this code (and a message matching). */
export function isAppErrorWith(code: string, message?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  };
}
