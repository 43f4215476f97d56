/**
 * Walks the old and the new JSON Schema of one payload side by side and names every
 * difference, with its verdict. A difference is breaking when a value one side writes may be
 * rejected by a parser of the other side, in a direction that happens while both are
 * deployed: `oldToNew` (old writers, new readers: messages in flight, deployed callers) and
 * `newToOld` (new writers, old readers: deployed consumers, deployed callers reading answers).
 *
 * Writers are zod schemas, which strip undeclared keys, so a writer sends only the properties
 * its schema declares; a reader ignores extra properties unless its object is closed
 * (`additionalProperties: false`, zod's strictObject).
 */
import type { JsonSchema } from '../docs/json-schema.js';

/** Which writer/reader pairs exist while old and new are both deployed. */
export interface Directions {
  /** Old writers, new readers. */
  oldToNew: boolean;
  /** New writers, old readers. */
  newToOld: boolean;
  /** Who suffers when oldToNew breaks, e.g. "messages in flight from old producers fail to parse". */
  oldToNewHarm: string;
  /** Who suffers when newToOld breaks, e.g. "deployed consumers reject the new data". */
  newToOldHarm: string;
}

/** One difference between two schemas, at a JSON path of the payload. */
export interface SchemaChange {
  path: string;
  breaking: boolean;
  reason: string;
}

interface Side {
  schema: JsonSchema;
  root: JsonSchema;
}

const ALL_TYPES = ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'];
const LOWER_BOUNDS = ['minLength', 'minItems', 'minProperties', 'minimum', 'exclusiveMinimum'] as const;
const UPPER_BOUNDS = ['maxLength', 'maxItems', 'maxProperties', 'maximum', 'exclusiveMaximum'] as const;
const EXACT = ['pattern', 'format', 'multipleOf'] as const;
const MAX_DEPTH = 32;

/** The differences between an old and a new schema, each breaking or safe for the given directions. */
export function diffSchemas(before: JsonSchema, after: JsonSchema, directions: Directions, path = '$'): SchemaChange[] {
  const changes: SchemaChange[] = [];
  walk({ schema: before, root: before }, { schema: after, root: after }, path, directions, changes, 0);
  return changes;
}

function resolve(side: Side): Side {
  let schema = side.schema;
  for (let hops = 0; typeof schema.$ref === 'string' && hops < MAX_DEPTH; hops++) {
    const ref = schema.$ref;
    const target = ref === '#' ? side.root : ref.startsWith('#/') ? pointer(side.root, ref.slice(2)) : undefined;
    if (!target) break;
    schema = target;
  }
  return { schema, root: side.root };
}

function pointer(root: JsonSchema, path: string): JsonSchema | undefined {
  let node: unknown = root;
  for (const part of path.split('/')) node = (node as Record<string, unknown> | undefined)?.[part];
  return typeof node === 'object' && node !== null ? (node as JsonSchema) : undefined;
}

/** `anyOf: [X, {type: 'null'}]` (zod's nullable) read as X that also accepts null. */
function unwrapNullable(schema: JsonSchema): JsonSchema {
  const branches = schema.anyOf as JsonSchema[] | undefined;
  if (!Array.isArray(branches) || branches.length !== 2) return schema;
  const nullIndex = branches.findIndex((b) => b.type === 'null' && Object.keys(b).length === 1);
  if (nullIndex < 0) return schema;
  const inner = branches[1 - nullIndex]!;
  if (inner.$ref !== undefined || inner.anyOf !== undefined) return schema;
  const rest = Object.fromEntries(Object.entries(schema).filter(([k]) => k !== 'anyOf'));
  const types = inner.type === undefined ? undefined : [...typesOf(inner), 'null'];
  const values = Array.isArray(inner.enum) ? [...(inner.enum as unknown[]), null] : undefined;
  return { ...rest, ...inner, ...(types ? { type: types } : {}), ...(values ? { enum: values } : {}) };
}

function typesOf(schema: JsonSchema): string[] {
  if (schema.type === undefined) return ALL_TYPES;
  return Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
}

function accepts(types: string[], type: string): boolean {
  return types.includes(type) || (type === 'integer' && types.includes('number'));
}

function valuesOf(schema: JsonSchema): unknown[] | undefined {
  if ('const' in schema) return [schema.const];
  return Array.isArray(schema.enum) ? (schema.enum as unknown[]) : undefined;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function walk(a: Side, b: Side, path: string, d: Directions, out: SchemaChange[], depth: number): void {
  if (depth > MAX_DEPTH) return;
  const before = unwrapNullable(resolve(a).schema);
  const after = unwrapNullable(resolve(b).schema);
  const oldSide = { schema: before, root: a.root };
  const newSide = { schema: after, root: b.root };
  // Reports a difference: `narrows` when old writers may now be refused, `widens` when old readers may refuse new writers.
  const report = (change: string, narrows: boolean, widens: boolean) => {
    const harms = [narrows && d.oldToNew ? d.oldToNewHarm : '', widens && d.newToOld ? d.newToOldHarm : ''];
    const harm = harms.filter(Boolean).join('; ');
    out.push({ path, breaking: harm !== '', reason: harm ? `${change}: ${harm}` : change });
  };
  if (Array.isArray(before.anyOf) || Array.isArray(after.anyOf)) return unions(oldSide, newSide, path, d, out, depth);

  const oldTypes = typesOf(before);
  const newTypes = typesOf(after);
  const removed = oldTypes.filter((t) => !accepts(newTypes, t));
  const added = newTypes.filter((t) => !accepts(oldTypes, t));
  if (removed.length > 0) report(`type narrowed: ${removed.join(', ')} no longer accepted`, true, false);
  if (added.length > 0) report(`type widened: ${added.join(', ')} now allowed`, false, true);

  const oldValues = valuesOf(before);
  const newValues = valuesOf(after);
  if (oldValues || newValues) {
    const gone = oldValues ? oldValues.filter((v) => !newValues || !newValues.some((n) => show(n) === show(v))) : [];
    const fresh = newValues ? newValues.filter((v) => !oldValues || !oldValues.some((o) => show(o) === show(v))) : [];
    if (!newValues) report('enum lifted: any value now allowed', false, true);
    else if (gone.length > 0) report(`enum value ${gone.map(show).join(', ')} removed`, true, false);
    if (!oldValues) report(`enum added: only ${newValues!.map(show).join(', ')} accepted`, true, false);
    else if (fresh.length > 0) report(`enum value ${fresh.map(show).join(', ')} added`, false, true);
  }

  for (const key of LOWER_BOUNDS) bound(key, before[key], after[key], (x, y) => x < y, report);
  for (const key of UPPER_BOUNDS) bound(key, before[key], after[key], (x, y) => x > y, report);
  for (const key of EXACT) {
    if (show(before[key]) === show(after[key])) continue;
    if (before[key] === undefined) report(`${key} ${show(after[key])} added`, true, false);
    else if (after[key] === undefined) report(`${key} ${show(before[key])} removed`, false, true);
    else report(`${key} changed from ${show(before[key])} to ${show(after[key])}`, true, true);
  }
  if (before.description !== after.description) report('description changed', false, false);

  if (oldTypes.includes('object') && newTypes.includes('object'))
    objects(oldSide, newSide, path, d, out, depth, report);
  if (oldTypes.includes('array') && newTypes.includes('array')) {
    const items = (s: Side) => ({ schema: (s.schema.items as JsonSchema | undefined) ?? {}, root: s.root });
    if (show(before.items) !== show(after.items)) walk(items(oldSide), items(newSide), `${path}[]`, d, out, depth + 1);
  }
}

/** zod gives every integer the safe-integer range as bounds; those say nothing a change could break. */
function ownBound(value: unknown): unknown {
  return value === Number.MAX_SAFE_INTEGER || value === Number.MIN_SAFE_INTEGER ? undefined : value;
}

type Report = (change: string, narrows: boolean, widens: boolean) => void;

/** A lower bound raised (or an upper bound lowered) narrows; the reverse widens. */
function bound(
  key: string,
  before: unknown,
  after: unknown,
  tighter: (x: number, y: number) => boolean,
  report: Report,
) {
  before = ownBound(before);
  after = ownBound(after);
  if (before === after) return;
  if (typeof before !== 'number') return report(`${key} ${show(after)} added`, true, false);
  if (typeof after !== 'number') return report(`${key} ${show(before)} removed`, false, true);
  const narrows = tighter(before, after);
  report(`${key} ${narrows ? 'tightened' : 'loosened'} from ${before} to ${after}`, narrows, !narrows);
}

function objects(a: Side, b: Side, path: string, d: Directions, out: SchemaChange[], depth: number, report: Report) {
  const props = (s: JsonSchema) => (s.properties as Record<string, JsonSchema> | undefined) ?? {};
  const required = (s: JsonSchema) => new Set((s.required as string[] | undefined) ?? []);
  const closed = (s: JsonSchema) => s.additionalProperties === false;
  const [oldProps, newProps] = [props(a.schema), props(b.schema)];
  const [oldRequired, newRequired] = [required(a.schema), required(b.schema)];
  const keys = [...new Set([...Object.keys(oldProps), ...Object.keys(newProps)])].sort();
  for (const key of keys) {
    const at = `${path}.${key}`;
    const here: Report = (change, narrows, widens) => {
      const start = out.length;
      report(change, narrows, widens);
      out[start]!.path = at;
    };
    if (!(key in oldProps)) {
      if (newRequired.has(key)) here('required field added', true, closed(a.schema));
      else here('optional field added', false, closed(a.schema));
      continue;
    }
    if (!(key in newProps)) {
      // Old writers still send it: a closed new object refuses it. New writers drop it: old readers that require it fail.
      here(oldRequired.has(key) ? 'field removed' : 'optional field removed', closed(b.schema), oldRequired.has(key));
      continue;
    }
    if (!oldRequired.has(key) && newRequired.has(key)) here('field made required', true, false);
    if (oldRequired.has(key) && !newRequired.has(key)) here('field made optional', false, true);
    walk({ schema: oldProps[key]!, root: a.root }, { schema: newProps[key]!, root: b.root }, at, d, out, depth + 1);
  }
  if (!closed(a.schema) && closed(b.schema)) report('object closed to undeclared fields', false, false);
  const extra = (s: JsonSchema) => s.additionalProperties;
  const [oldExtra, newExtra] = [extra(a.schema), extra(b.schema)];
  if (typeof oldExtra === 'object' && typeof newExtra === 'object' && show(oldExtra) !== show(newExtra)) {
    walk(
      { schema: oldExtra as JsonSchema, root: a.root },
      { schema: newExtra as JsonSchema, root: b.root },
      `${path}[*]`,
      d,
      out,
      depth + 1,
    );
  }
}

/** Unions: branches matched by position; a branch added widens, a branch removed narrows. */
function unions(a: Side, b: Side, path: string, d: Directions, out: SchemaChange[], depth: number): void {
  const branches = (s: JsonSchema) => (Array.isArray(s.anyOf) ? (s.anyOf as JsonSchema[]) : [s]);
  const [oldBranches, newBranches] = [branches(a.schema), branches(b.schema)];
  const shared = Math.min(oldBranches.length, newBranches.length);
  for (let i = 0; i < shared; i++) {
    walk({ schema: oldBranches[i]!, root: a.root }, { schema: newBranches[i]!, root: b.root }, path, d, out, depth + 1);
  }
  const harm = (on: boolean, text: string) => (on ? `: ${text}` : '');
  if (oldBranches.length > shared) {
    const breaking = d.oldToNew;
    const reason = `union branch removed${harm(breaking, d.oldToNewHarm)}`;
    out.push({ path, breaking, reason });
  }
  if (newBranches.length > shared) {
    const breaking = d.newToOld;
    out.push({ path, breaking, reason: `union branch added${harm(breaking, d.newToOldHarm)}` });
  }
}
