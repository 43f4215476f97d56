import { describe, expect, it } from 'vitest';
import { compose, type Middleware } from './compose.js';

describe('compose', () => {
  it('runs middleware as an onion around the last step and returns its result', async () => {
    const trail: string[] = [];
    const mw =
      (n: string): Middleware<{ v: number }> =>
      async (ctx, next) => {
        trail.push(`${n}>`);
        ctx.v++;
        const r = await next();
        trail.push(`<${n}`);
        return r;
      };
    const run = compose([mw('a'), mw('b')], async (ctx) => ctx.v * 10);
    expect(await run({ v: 0 })).toBe(20);
    expect(trail).toEqual(['a>', 'b>', '<b', '<a']);
  });

  it('lets a middleware answer without calling next', async () => {
    const run = compose<object>([async () => 'cached'], async () => 'handler');
    expect(await run({})).toBe('cached');
  });

  it('rejects a second next() call', async () => {
    const run = compose<object>([async (_c, next) => (await next(), next())], async () => 1);
    await expect(run({})).rejects.toThrow('next() called more than once');
  });

  it('turns a synchronous throw into a rejection', async () => {
    const run = compose<object>(
      [
        () => {
          throw new Error('sync');
        },
      ],
      async () => 1,
    );
    await expect(run({})).rejects.toThrow('sync');
  });
});
