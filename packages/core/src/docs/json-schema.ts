import { z } from 'zod';
import type { Schema } from '../contracts/contracts.js';

/** A JSON Schema document as a plain object. */
export type JsonSchema = Record<string, unknown>;

/**
 * A contract's schema as JSON Schema (zod 4's own conversion). `io` picks the side: what a
 * caller may send (`input`, before defaults and transforms) or what it gets back (`output`).
 * Types JSON Schema cannot express (dates, transforms' results) become unconstrained
 * rather than failing the whole document.
 */
export function jsonSchemaOf(schema: Schema, io: 'input' | 'output', target: 'draft-2020-12' | 'draft-7'): JsonSchema {
  const json = z.toJSONSchema(schema, { target, io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}
