/**
 * The onion: `(ctx, next) => Promise<result>`, one type for sync and async handlers.
 * Each middleware may run code before and after `next()`, replace the result, or not
 * call `next()` at all. Calling `next()` twice is a bug and fails loudly.
 */
export type Middleware<C> = (ctx: C, next: () => Promise<unknown>) => Promise<unknown>;

/** Composes middleware around `last` into one function, outermost first. */
export function compose<C>(
  middleware: ReadonlyArray<Middleware<C>>,
  last: (ctx: C) => Promise<unknown>,
): (ctx: C) => Promise<unknown> {
  return (ctx: C) => {
    let index = -1;
    const dispatch = (i: number): Promise<unknown> => {
      if (i <= index) return Promise.reject(new Error('next() called more than once in one middleware'));
      index = i;
      const fn = middleware[i];
      try {
        return fn === undefined ? last(ctx) : fn(ctx, () => dispatch(i + 1));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
