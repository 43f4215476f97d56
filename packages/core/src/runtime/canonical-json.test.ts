import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

/**
 * The encoding as a plain recursive definition: keys sorted by code unit, members whose
 * value JSON leaves out left out, toJSON applied once, a bigint written as the string
 * `"<digits>n"`, anything else JSON has no text for written as null. Fingerprints already
 * stored were made with this text, so the stack-based encoder must match it exactly.
 */
function reference(value: unknown): string {
  let v = value;
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
    v = (v as { toJSON(): unknown }).toJSON();
  if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') return 'null';
  if (typeof v === 'bigint') return JSON.stringify(`${v}n`);
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
  const record = v as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((k) => record[k] !== undefined && typeof record[k] !== 'function' && typeof record[k] !== 'symbol')
    .sort()
    .map((k) => `${JSON.stringify(k)}:${reference(record[k])}`);
  return `{${members.join(',')}}`;
}

const odd = fc.oneof(
  fc.constant(undefined),
  fc.constant(() => 1),
  fc.constant(Symbol('s')),
  fc.bigInt(),
  fc.constant(Number.NaN),
  fc.constant(-0),
  fc.date({ noInvalidDate: true }),
  // Boxed primitives: JSON.stringify unwraps them, the definition writes their own keys.
  fc.constantFrom(new Number(1), new String('ab'), new Boolean(false), Object(2n)),
);
// Keys that JavaScript orders differently from a sort: integer-like ones come first.
const key = fc.oneof(fc.string(), fc.constantFrom('10', '9', '0', '-1', '1.5', '__proto__', 'é', 'Z', 'a'));
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, fc.jsonValue(), odd, fc.array(tie('v')), fc.dictionary(key, tie('v'))),
})).v;

describe('canonicalJson', () => {
  it('writes what the recursive definition writes, for any value', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 2_000 },
    );
  });

  it('is JSON.stringify with sorted keys for JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });

  it('gives one text whatever the order of keys, integer-like ones included', () => {
    const a = { b: 1, a: [{ y: 2, x: 1 }], 10: 'ten', 9: 'nine' };
    const b = { 9: 'nine', a: [{ x: 1, y: 2 }], 10: 'ten', b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"10":"ten","9":"nine","a":[{"x":1,"y":2}],"b":1}');
  });

  it('applies toJSON once and leaves out what JSON leaves out', () => {
    const inner = { toJSON: () => ({ z: 1, toJSON: () => 'not called' }) };
    expect(canonicalJson({ when: new Date(0), inner, gone: undefined, f: () => 1, big: 5n, list: [undefined] })).toBe(
      '{"big":"5n","inner":{"z":1},"list":[null],"when":"1970-01-01T00:00:00.000Z"}',
    );
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({ a: undefined })).toBe('{}');
  });

  it('encodes nesting deeper than the call stack allows', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 200_000; i++) deep = i % 2 === 0 ? [deep] : { k: deep };
    const text = canonicalJson(deep);
    expect(text.length).toBe(200_000 + 100_000 * '{"k":'.length + 100_000 + '"bottom"'.length);
    expect(text.startsWith('{"k":[{"k":[')).toBe(true);
    expect(text.slice(text.indexOf('"bottom"'))).toBe(`"bottom"${']}'.repeat(100_000)}`);
  });
});
