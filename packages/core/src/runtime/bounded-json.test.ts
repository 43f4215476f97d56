import { describe, expect, it } from 'vitest';
import { boundedJson } from './bounded-json.js';

const nested = (depth: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

describe('boundedJson', () => {
  const values: unknown[] = [
    null,
    0,
    -0,
    NaN,
    'text "quoted" \u2028 ✓',
    true,
    [1, undefined, () => 1, Symbol('s'), null, [], {}],
    { a: 1, b: undefined, c: () => 1, d: [{ e: 'f' }], g: new Date(0), h: { toJSON: () => undefined } },
    { n: new Number(2), s: new String('x'), b: new Boolean(false) },
    { __proto__: { inherited: 1 }, own: 2 },
    nested(100),
  ];
  for (const value of values)
    it(`writes what JSON.stringify writes: ${String(JSON.stringify(value)).slice(0, 40)}`, () => {
      expect(boundedJson(value, 10_000)).toBe(JSON.stringify(value));
    });

  it('is undefined past its length, however large the value, and at a cost bounded by it', () => {
    const huge = { items: Array.from({ length: 1_000_000 }, (_, i) => ({ i })) };
    const started = performance.now();
    expect(boundedJson(huge, 1_000)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(500);
    expect(boundedJson({ s: 'x'.repeat(2_000) }, 1_000)).toBeUndefined();
  });

  it('is undefined past its depth, and for values nested deeper than the call stack', () => {
    expect(boundedJson(nested(1_000), 100_000)).toBe(JSON.stringify(nested(1_000)));
    expect(boundedJson(nested(1_001), 100_000)).toBeUndefined();
    expect(boundedJson(nested(100_000), 10_000_000, 1_000_000)).toHaveLength(100_000 * 6 + 1);
  });

  it('runs a cycle into its budget, and throws on a BigInt as JSON.stringify does', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(boundedJson(cycle, 10_000, 1_000_000)).toBeUndefined();
    expect(() => boundedJson({ n: 1n }, 100)).toThrow(TypeError);
  });
});
