/**
 * Older versions of an event contract: each one's schema and the function that turns its
 * data into the next version's. A consumer reads the version a message was published at
 * from its `dataschema`, validates the data with that version's schema, and upcasts it
 * step by step to the contract's current version (see docs/evolution.md).
 */
import type { z } from 'zod';
import { RegistrationError } from '../errors/errors.js';
import type { Schema } from './contracts.js';

/** One older version of an event: its schema and how its data becomes the next version's. */
export interface OlderVersion<D extends Schema = Schema, Next = unknown> {
  readonly data: D;
  /** Takes the parsed data of this version, returns the next version's (its input, before parsing). */
  readonly upcast: (data: z.output<D>) => Next;
}

// Version n maps to n + 1; contracts are expected to have far fewer versions than this.
type Successor = [
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  16,
  17,
  18,
  19,
  20,
  21,
  22,
  23,
  24,
  25,
  26,
  27,
  28,
  29,
  30,
  31,
  32,
  33,
];

// Object keys may reach the type as number or numeric-string literals.
type VersionOf<K> = K extends number ? K : K extends `${infer N extends number}` ? N : never;

type SchemaAt<F, N extends number> = N extends keyof F ? F[N] : `${N}` extends keyof F ? F[`${N}` & keyof F] : never;

type NextSchema<K, F, V extends number, D extends Schema> =
  VersionOf<K> extends keyof Successor
    ? Successor[VersionOf<K>] extends V
      ? D
      : SchemaAt<F, Successor[VersionOf<K>]> & Schema
    : never;

/**
 * The `from` map of `defineEvent`, from a map of version to schema: each version's
 * `upcast` receives that version's parsed data and returns the input of the version after
 * it (the current schema's for the last one).
 */
export type UpcastChain<F, V extends number, D extends Schema> = {
  [K in keyof F]: {
    readonly data: F[K];
    readonly upcast: (data: z.output<F[K] & Schema>) => z.input<NextSchema<K, F, V, D>>;
  };
};

/** What a contract accepts besides its own and its older versions: `'newer'` takes newer messages as current. */
export type AcceptsPolicy = 'newer';

/**
 * Checks a contract's older versions and returns them ordered by version: every version
 * from the oldest declared up to the current one must be there, each with a zod schema
 * and an upcast function.
 */
export function checkOlderVersions(
  name: string,
  version: number,
  from: Record<number, OlderVersion> | undefined,
): ReadonlyMap<number, OlderVersion> {
  const where = `defineEvent('${name}')`;
  const versions = new Map<number, OlderVersion>();
  if (from === undefined) return versions;
  if (typeof from !== 'object' || from === null) {
    throw new RegistrationError(`${where}.from: expected an object of older versions, like { 1: { data, upcast } }`);
  }
  const keys = Object.keys(from)
    .map((key) => ({ key, n: Number(key) }))
    .sort((a, b) => a.n - b.n);
  for (const { key, n } of keys) {
    if (!Number.isInteger(n) || n < 1) {
      throw new RegistrationError(`${where}.from: '${key}' is not a version; use positive integers as keys`);
    }
    if (n >= version) {
      throw new RegistrationError(
        `${where}.from[${n}]: an older version must be below the current version ${version}; raise 'version' above ${n} or remove from[${n}]`,
      );
    }
    const older = (from as Record<string, OlderVersion | undefined>)[key];
    const schema = older?.data as Schema | undefined;
    if (typeof schema !== 'object' || schema === null || typeof schema.safeParse !== 'function') {
      throw new RegistrationError(`${where}.from[${n}].data: expected the zod schema of version ${n}`);
    }
    if (typeof older?.upcast !== 'function') {
      throw new RegistrationError(
        `${where}.from[${n}].upcast: expected a function from version ${n}'s data to version ${n + 1}'s`,
      );
    }
    versions.set(n, Object.freeze({ data: older.data, upcast: older.upcast }));
  }
  const oldest = keys[0]?.n;
  if (oldest !== undefined) {
    for (let n = oldest; n < version; n++) {
      if (!versions.has(n)) {
        throw new RegistrationError(
          `${where}.from: version ${n} is missing between ${oldest} and the current ${version}; declare from[${n}] with its schema and an upcast to ${n + 1}, so every older version reaches the current one`,
        );
      }
    }
  }
  return versions;
}
