import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RegistrationError } from '../errors/errors.js';
import { defineCommand, defineQuery } from './contracts.js';

const V1 = z.object({ sku: z.string(), qty: z.number() });
const V2 = V1.extend({ currency: z.string() });
const V3 = z.object({ lines: z.array(V1), currency: z.string() });
const Out = z.object({ ok: z.boolean() });

function registrationError(define: () => unknown): RegistrationError {
  try {
    define();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistrationError);
    return error as RegistrationError;
  }
  throw new Error('expected a RegistrationError');
}

describe('defineCommand and defineQuery with input versions', () => {
  it('keeps the version and each older input, ordered, and types every upcast from its version to the next', () => {
    const place = defineCommand('orders.place', {
      version: 3,
      input: V3,
      output: Out,
      from: {
        2: { input: V2, upcast: ({ sku, qty, currency }) => ({ lines: [{ sku, qty }], currency }) },
        1: { input: V1, upcast: (v1) => ({ ...v1, currency: 'EUR' }) },
      },
    });
    expect(place.version).toBe(3);
    expect([...place.olderVersions.keys()]).toEqual([1, 2]);
    expect(place.olderVersions.get(2)!.input).toBe(V2);
    expect(place.olderVersions.get(1)!.upcast({ sku: 's', qty: 1 })).toEqual({ sku: 's', qty: 1, currency: 'EUR' });
    const get = defineQuery('orders.get', {
      version: 2,
      input: z.object({ orderId: z.string() }),
      output: Out,
      from: { 1: { input: z.object({ id: z.string() }), upcast: ({ id }) => ({ orderId: id }) } },
    });
    expect([get.kind, get.version, [...get.olderVersions.keys()]]).toEqual(['query', 2, [1]]);
  });

  it('rejects, at compile time, an upcast that returns the wrong version', () => {
    expect(() =>
      defineCommand('orders.place', {
        version: 2,
        input: V2,
        output: Out,
        // @ts-expect-error version 1's upcast must return version 2's input (with currency), not version 1's
        from: { 1: { input: V1, upcast: (v1) => ({ sku: v1.sku, qty: v1.qty }) } },
      }),
    ).not.toThrow();
  });

  it('is version 1 without older versions by default', () => {
    const plain = defineCommand('orders.place', { input: V1, output: Out });
    expect([plain.version, plain.olderVersions.size]).toEqual([1, 0]);
  });

  it('names the definition, the version and the fix in each error', () => {
    const at = (from: unknown, version = 3) =>
      registrationError(() => defineCommand('orders.place', { version, input: V3, output: Out, from } as never))
        .message;
    expect(at({ 1: { input: V1, upcast: () => ({}) } })).toBe(
      "defineCommand('orders.place').from: version 2 is missing between 1 and the current 3; declare from[2] with its schema and an upcast to 3, so every older version reaches the current one",
    );
    expect(at({ 3: { input: V3, upcast: (v: unknown) => v } })).toContain(
      "defineCommand('orders.place').from[3]: an older version must be below the current version 3",
    );
    expect(at({ first: { input: V1, upcast: () => ({}) } })).toContain(
      "defineCommand('orders.place').from: 'first' is not a version",
    );
    expect(at({ 1: { input: V1, upcast: 'v2' }, 2: { input: V2, upcast: () => ({}) } })).toBe(
      "defineCommand('orders.place').from[1].upcast: expected a function from version 1's input to version 2's",
    );
    expect(at({ 2: { data: V2, upcast: () => ({}) } })).toBe(
      "defineCommand('orders.place').from[2].input: expected the zod schema of version 2",
    );
    expect(at('v1')).toBe(
      "defineCommand('orders.place').from: expected an object of older versions, like { 1: { input, upcast } }",
    );
    expect(
      registrationError(() => defineQuery('orders.get', { version: 0, input: V1, output: Out } as never)).message,
    ).toBe("defineQuery('orders.get').version must be a positive integer");
    expect(
      registrationError(() => defineQuery('orders.get', { version: 1.5, input: V1, output: Out } as never)).message,
    ).toBe("defineQuery('orders.get').version must be a positive integer");
  });
});
