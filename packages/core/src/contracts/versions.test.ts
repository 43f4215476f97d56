import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RegistrationError } from '../errors/errors.js';
import { defineEvent } from './contracts.js';

const V1 = z.object({ id: z.string(), total: z.number() });
const V2 = z.object({ id: z.string(), amount: z.object({ value: z.number(), currency: z.string() }) });
const V3 = V2.extend({ channel: z.enum(['web', 'shop']) });

function registrationError(define: () => unknown): RegistrationError {
  try {
    define();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistrationError);
    return error as RegistrationError;
  }
  throw new Error('expected a RegistrationError');
}

describe('defineEvent with older versions', () => {
  it('keeps each older version, ordered, and types every upcast from its version to the next', () => {
    const placed = defineEvent('orders.placed', {
      version: 3,
      data: V3,
      from: {
        2: { data: V2, upcast: (v2) => ({ ...v2, channel: 'web' as const }) },
        1: { data: V1, upcast: (v1) => ({ id: v1.id, amount: { value: v1.total, currency: 'EUR' } }) },
      },
    });
    expect([...placed.olderVersions.keys()]).toEqual([1, 2]);
    expect(placed.olderVersions.get(1)!.data).toBe(V1);
  });

  it('rejects, at compile time, an upcast that returns the wrong version', () => {
    expect(() =>
      defineEvent('orders.placed', {
        version: 2,
        data: V2,
        // @ts-expect-error version 1's upcast must return version 2's input, not version 1's
        from: { 1: { data: V1, upcast: (v1) => ({ id: v1.id, total: v1.total }) } },
      }),
    ).not.toThrow();
  });

  it('has no older versions by default', () => {
    expect(defineEvent('orders.placed', { data: V1 }).olderVersions.size).toBe(0);
  });

  it('names the missing version when the chain has a gap', () => {
    const error = registrationError(() =>
      defineEvent('orders.placed', {
        version: 3,
        data: V3,
        from: { 1: { data: V1, upcast: () => ({}) } } as never,
      }),
    );
    expect(error.message).toContain('version 2 is missing');
    expect(error.message).toContain('declare from[2]');
  });

  it('refuses an older version at or above the current one', () => {
    const error = registrationError(() =>
      defineEvent('orders.placed', {
        version: 2,
        data: V2,
        from: { 2: { data: V2, upcast: (v: unknown) => v } } as never,
      }),
    );
    expect(error.message).toContain('below the current version 2');
  });

  it('refuses a key that is not a version', () => {
    const error = registrationError(() =>
      defineEvent('orders.placed', {
        version: 2,
        data: V2,
        from: { first: { data: V1, upcast: () => ({}) } } as never,
      }),
    );
    expect(error.message).toContain("'first' is not a version");
  });

  it('refuses an upcast that is not a function, and data that is not a schema', () => {
    expect(
      registrationError(() =>
        defineEvent('orders.placed', { version: 2, data: V2, from: { 1: { data: V1, upcast: 'v2' } } as never }),
      ).message,
    ).toContain('from[1].upcast: expected a function');
    expect(
      registrationError(() =>
        defineEvent('orders.placed', { version: 2, data: V2, from: { 1: { data: {}, upcast: () => ({}) } } as never }),
      ).message,
    ).toContain('from[1].data: expected the zod schema');
  });

  it("refuses an accepts policy other than 'newer'", () => {
    expect(
      registrationError(() => defineEvent('orders.placed', { data: V1, accepts: 'older' as never })).message,
    ).toContain("use 'newer'");
  });
});
