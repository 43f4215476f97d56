/**
 * Older versions of a contract: each one's schema and the function that turns its payload
 * into the next version's. An event's consumer reads the version a message was published at
 * from its `dataschema`; a command's or query's server reads the version its caller was built
 * against from the `tandem-contract-version` header. Either validates the payload with that
 * version's schema and upcasts it step by step to the contract's current version (see
 * docs/evolution.md).
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

/** One older version of a command's or query's input: its schema and how its input becomes the next version's. */
export interface OlderInput<I extends Schema = Schema, Next = unknown> {
  readonly input: I;
  /** Takes the parsed input of this version, returns the next version's (before parsing). */
  readonly upcast: (input: z.output<I>) => Next;
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

/**
 * The `from` map of `defineCommand` and `defineQuery`, from a map of version to input
 * schema: each version's `upcast` receives that version's parsed input and returns the
 * input of the version after it (the current schema's for the last one).
 */
export type InputUpcastChain<F, V extends number, I extends Schema> = {
  [K in keyof F]: {
    readonly input: F[K];
    readonly upcast: (input: z.output<F[K] & Schema>) => z.input<NextSchema<K, F, V, I>>;
  };
};

/** What a contract accepts besides its own and its older versions: `'newer'` takes newer messages as current. */
export type AcceptsPolicy = 'newer';

/** Checks a contract's `version`: a positive integer, 1 when left out. */
export function checkVersion(where: string, version: unknown): number {
  const checked = version ?? 1;
  if (typeof checked !== 'number' || !Number.isInteger(checked) || checked < 1) {
    throw new RegistrationError(`${where}.version must be a positive integer`);
  }
  return checked;
}

/** An older version as checked: its schema under `field` ('data' for events, 'input' for commands and queries). */
export type CheckedOlder<F extends 'data' | 'input'> = { readonly [K in F]: Schema } & {
  readonly upcast: (value: never) => unknown;
};

/**
 * Checks a contract's older versions and returns them ordered by version: every version
 * from the oldest declared up to the current one must be there, each with a zod schema
 * (under `field`) and an upcast function. `where` names the definition in errors,
 * `defineEvent('orders.placed')` or `defineCommand('orders.place')`.
 */
export function checkOlderVersions<F extends 'data' | 'input'>(
  where: string,
  field: F,
  version: number,
  from: object | undefined,
): ReadonlyMap<number, CheckedOlder<F>> {
  const versions = new Map<number, CheckedOlder<F>>();
  if (from === undefined) return versions;
  if (typeof from !== 'object' || from === null) {
    throw new RegistrationError(
      `${where}.from: expected an object of older versions, like { 1: { ${field}, upcast } }`,
    );
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
    const older = (from as Record<string, Record<string, unknown> | undefined>)[key];
    const schema = older?.[field] as Schema | undefined;
    if (typeof schema !== 'object' || schema === null || typeof schema.safeParse !== 'function') {
      throw new RegistrationError(`${where}.from[${n}].${field}: expected the zod schema of version ${n}`);
    }
    const upcast = older?.upcast;
    if (typeof upcast !== 'function') {
      throw new RegistrationError(
        `${where}.from[${n}].upcast: expected a function from version ${n}'s ${field} to version ${n + 1}'s`,
      );
    }
    versions.set(n, Object.freeze({ [field]: schema, upcast }) as CheckedOlder<F>);
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
