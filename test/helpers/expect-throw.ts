import { expect } from 'vitest';

/**
 * Call `fn` and expect it to throw an instance of `ErrorClass` whose message is exactly
 * `message` (a string) or matches it (a RegExp); with no `message`, only the class is checked.
 * Returns the error for further checks.
 */
export function expectThrow<E extends Error>(
  fn: () => unknown,
  ErrorClass: abstract new (...args: never[]) => E,
  message?: string | RegExp,
): E {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ErrorClass);
  if (typeof message === 'string') expect((caught as Error).message).toBe(message);
  else if (message !== undefined) expect((caught as Error).message).toMatch(message);
  return caught as E;
}

/** {@link expectThrow} for a TypeError, the error of every argument check. */
export function expectTypeError(fn: () => unknown, message: string | RegExp): TypeError {
  return expectThrow(fn, TypeError, message);
}

/**
 * What `p` rejects with: the test fails when it resolves instead, or rejects with something
 * that is not an Error. Returns the error for further checks.
 */
export async function rejection<E extends Error = Error>(p: Promise<unknown>): Promise<E> {
  const r = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(r, 'expected a rejection').toBeInstanceOf(Error);
  return r as E;
}
