/**
 * The gate never calls a change safe that a real reader fails on: random pairs of object
 * schemas (fields added, removed, made optional or nullable, retyped, enums and lengths
 * changed, objects closed), random data for each writer, parsed by the readers that meet it.
 * Whenever a parse fails, the gate must have said breaking.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent, type Schema } from '../contracts/contracts.js';
import type { AppModel } from '../docs/app-model.js';
import { checkContracts } from './check.js';
import { contractsSnapshot } from './snapshot.js';

interface Field {
  kind: 'string' | 'number' | 'int' | 'boolean' | 'enum';
  values: string[];
  max: number | undefined;
  optional: boolean;
  nullable: boolean;
}
interface Shape {
  fields: Record<string, Field>;
  closed: boolean;
}

const fieldArb: fc.Arbitrary<Field> = fc.record({
  kind: fc.constantFrom('string', 'number', 'int', 'boolean', 'enum'),
  values: fc.subarray(['a', 'b', 'c'], { minLength: 1 }),
  max: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  optional: fc.boolean(),
  nullable: fc.boolean(),
});
const shapeArb: fc.Arbitrary<Shape> = fc.record({
  fields: fc.dictionary(fc.constantFrom('w', 'x', 'y', 'z'), fieldArb, { maxKeys: 4 }),
  closed: fc.boolean(),
});

function zodOf(shape: Shape): Schema {
  const fields = Object.fromEntries(
    Object.entries(shape.fields).map(([name, f]) => {
      let s: z.ZodType =
        f.kind === 'string'
          ? f.max === undefined
            ? z.string()
            : z.string().max(f.max)
          : f.kind === 'number'
            ? z.number()
            : f.kind === 'int'
              ? z.number().int()
              : f.kind === 'boolean'
                ? z.boolean()
                : z.enum(f.values as [string, ...string[]]);
      if (f.nullable) s = s.nullable();
      if (f.optional) s = s.optional();
      return [name, s];
    }),
  );
  return shape.closed ? z.strictObject(fields) : z.object(fields);
}

function valueArb(f: Field): fc.Arbitrary<unknown> {
  const base: fc.Arbitrary<unknown> =
    f.kind === 'string'
      ? fc.string({ maxLength: f.max ?? 6 })
      : f.kind === 'number'
        ? fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -5, max: 5, noNaN: true }))
        : f.kind === 'int'
          ? fc.integer({ min: -5, max: 5 })
          : f.kind === 'boolean'
            ? fc.boolean()
            : fc.constantFrom(...f.values);
  return f.nullable ? fc.oneof(fc.constant(null), base) : base;
}

/** Data a writer of this shape sends: every required field, each optional one or not. */
function dataArb(shape: Shape): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(shape.fields);
  const required = entries.filter(([, f]) => !f.optional).map(([n]) => n);
  return fc.record(Object.fromEntries(entries.map(([n, f]) => [n, valueArb(f)])), { requiredKeys: required });
}

const model = (side: 'event' | 'input' | 'output', schema: Schema): AppModel => {
  if (side === 'event') {
    const contract = defineEvent('svc.happened', { data: schema });
    return { services: [], sync: [], sagas: [], events: [{ contract, publishers: ['p'], consumers: [] }] };
  }
  const [input, output] = side === 'input' ? [schema, z.object({})] : [z.object({}), schema];
  const contract = defineCommand('svc.do', { input, output });
  return { services: [], events: [], sagas: [], sync: [{ contract, service: 'svc', handlerName: 'do' }] };
};

function reads(writer: Schema, reader: Schema, data: unknown): boolean {
  const written = writer.safeParse(data);
  expect(written.success).toBe(true);
  return reader.safeParse(JSON.parse(JSON.stringify(written.data))).success;
}

describe('the gate on random schema changes', () => {
  it.each(['event', 'input', 'output'] as const)('%s: a failing read is always called breaking', (side) => {
    const scenario = fc.tuple(shapeArb, shapeArb).chain(([before, after]) =>
      fc.record({
        before: fc.constant(before),
        after: fc.constant(after),
        oldData: fc.array(dataArb(before), { minLength: 1, maxLength: 4 }),
        newData: fc.array(dataArb(after), { minLength: 1, maxLength: 4 }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ before, after, oldData, newData }) => {
        const [oldSchema, newSchema] = [zodOf(before), zodOf(after)];
        const oldToNew = side !== 'output' && oldData.some((d) => !reads(oldSchema, newSchema, d));
        const newToOld = side !== 'input' && newData.some((d) => !reads(newSchema, oldSchema, d));
        if (!oldToNew && !newToOld) return;
        const changes = checkContracts(
          contractsSnapshot(model(side, oldSchema)),
          contractsSnapshot(model(side, newSchema)),
        );
        expect(changes.some((c) => c.breaking)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
