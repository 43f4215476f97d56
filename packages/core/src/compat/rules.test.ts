/**
 * The gate's rules, one schema change a row, each verdict held against what a real reader
 * does: every sample is data its writer accepts (old producers' messages in flight, new
 * producers' messages, deployed callers' inputs, the new service's outputs), parsed with the
 * reader's schema. A change called safe must never fail such a parse; one called breaking
 * must have a sample that fails.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineCommand,
  defineEvent,
  type CommandContract,
  type EventContract,
  type Schema,
} from '../contracts/contracts.js';
import type { AppModel } from '../docs/app-model.js';
import { requestedInputVersion, upcastInput } from '../runtime/upcast-input.js';
import { checkContracts } from './check.js';
import { contractsSnapshot } from './snapshot.js';

/** An older version: its schema (an event's `data`, a command's `input`) and its upcast to the next. */
interface Upcaster {
  data: Schema;
  upcast(data: unknown): unknown;
}

interface Case {
  name: string;
  /** Event data (written by producers, read by consumers), or a command's input or output. */
  side: 'event' | 'input' | 'output';
  before: Schema;
  after: Schema;
  /** Event or input: the new contract's version and upcasters. */
  version?: number;
  from?: Record<number, Upcaster>;
  /** Input only: the baseline contract's version and upcasters, when it had any. */
  was?: { version: number; from?: Record<number, Upcaster> };
  /** Input only: the version deployed callers wrote `old` at (the baseline's current one unless said). */
  oldAt?: number;
  breaking: boolean;
  where: string;
  reason: RegExp;
  /** Data written with the old schema (old producers, deployed callers) and with the new one. */
  old?: unknown[];
  new?: unknown[];
}

const Item = z.object({ sku: z.string(), qty: z.number().int() });

const cases: Case[] = [
  // Event data: read both ways while a change rolls out.
  {
    name: 'event: optional field added',
    side: 'event',
    before: z.object({ id: z.string() }),
    after: z.object({ id: z.string(), note: z.string().optional() }),
    breaking: false,
    where: 'data $.note',
    reason: /^optional field added$/,
    old: [{ id: 'a' }],
    new: [{ id: 'a' }, { id: 'a', note: 'n' }],
  },
  {
    name: 'event: required field added',
    side: 'event',
    before: z.object({ id: z.string() }),
    after: z.object({ id: z.string(), email: z.string() }),
    breaking: true,
    where: 'data $.email',
    reason: /^required field added: messages old producers wrote fail to parse/,
    old: [{ id: 'a' }],
    new: [{ id: 'a', email: 'e' }],
  },
  {
    name: 'event: required field removed',
    side: 'event',
    before: z.object({ id: z.string(), email: z.string() }),
    after: z.object({ id: z.string() }),
    breaking: true,
    where: 'data $.email',
    reason: /^field removed: deployed consumers \(c1\) reject/,
    old: [{ id: 'a', email: 'e' }],
    new: [{ id: 'a' }],
  },
  {
    name: 'event: optional field removed',
    side: 'event',
    before: z.object({ id: z.string(), note: z.string().optional() }),
    after: z.object({ id: z.string() }),
    breaking: false,
    where: 'data $.note',
    reason: /^optional field removed$/,
    old: [{ id: 'a' }, { id: 'a', note: 'n' }],
    new: [{ id: 'a' }],
  },
  {
    name: 'event: optional made required',
    side: 'event',
    before: z.object({ note: z.string().optional() }),
    after: z.object({ note: z.string() }),
    breaking: true,
    where: 'data $.note',
    reason: /^field made required: messages old producers wrote/,
    old: [{}, { note: 'n' }],
    new: [{ note: 'n' }],
  },
  {
    name: 'event: required made optional',
    side: 'event',
    before: z.object({ note: z.string() }),
    after: z.object({ note: z.string().optional() }),
    breaking: true,
    where: 'data $.note',
    reason: /^field made optional: deployed consumers/,
    old: [{ note: 'n' }],
    new: [{}, { note: 'n' }],
  },
  {
    name: 'event: number narrowed to integer',
    side: 'event',
    before: z.object({ total: z.number() }),
    after: z.object({ total: z.number().int() }),
    breaking: true,
    where: 'data $.total',
    reason: /^type narrowed: number no longer accepted/,
    old: [{ total: 1.5 }],
    new: [{ total: 2 }],
  },
  {
    name: 'event: string widened to string or number',
    side: 'event',
    before: z.object({ ref: z.string() }),
    after: z.object({ ref: z.union([z.string(), z.number()]) }),
    breaking: true,
    where: 'data $.ref',
    reason: /^type widened: number now allowed: deployed consumers/,
    old: [{ ref: 'r' }],
    new: [{ ref: 'r' }, { ref: 7 }],
  },
  {
    name: 'event: enum value removed',
    side: 'event',
    before: z.object({ s: z.enum(['a', 'b']) }),
    after: z.object({ s: z.enum(['a']) }),
    breaking: true,
    where: 'data $.s',
    reason: /^enum value "b" removed: messages old producers wrote/,
    old: [{ s: 'a' }, { s: 'b' }],
    new: [{ s: 'a' }],
  },
  {
    name: 'event: enum value added',
    side: 'event',
    before: z.object({ s: z.enum(['a']) }),
    after: z.object({ s: z.enum(['a', 'c']) }),
    breaking: true,
    where: 'data $.s',
    reason: /^enum value "c" added: deployed consumers/,
    old: [{ s: 'a' }],
    new: [{ s: 'a' }, { s: 'c' }],
  },
  {
    name: 'event: made nullable',
    side: 'event',
    before: z.object({ at: z.string() }),
    after: z.object({ at: z.string().nullable() }),
    breaking: true,
    where: 'data $.at',
    reason: /^type widened: null now allowed/,
    old: [{ at: 't' }],
    new: [{ at: null }],
  },
  {
    name: 'event: maxLength tightened',
    side: 'event',
    before: z.object({ name: z.string().max(10) }),
    after: z.object({ name: z.string().max(3) }),
    breaking: true,
    where: 'data $.name',
    reason: /^maxLength tightened from 10 to 3: messages old producers wrote/,
    old: [{ name: 'abcdef' }],
    new: [{ name: 'abc' }],
  },
  {
    name: 'event: field added to a closed object',
    side: 'event',
    before: z.strictObject({ id: z.string() }),
    after: z.strictObject({ id: z.string(), note: z.string().optional() }),
    breaking: true,
    where: 'data $.note',
    reason: /^optional field added: deployed consumers/,
    old: [{ id: 'a' }],
    new: [{ id: 'a', note: 'n' }],
  },
  {
    name: 'event: required field added to array items',
    side: 'event',
    before: z.object({ items: z.array(z.object({ qty: z.number() })) }),
    after: z.object({ items: z.array(Item) }),
    breaking: true,
    where: 'data $.items[].sku',
    reason: /^required field added/,
    old: [{ items: [{ qty: 1 }] }],
    new: [{ items: [{ sku: 's', qty: 1 }] }],
  },
  {
    name: 'event: description changed',
    side: 'event',
    before: z.object({ id: z.string().describe('the id') }),
    after: z.object({ id: z.string().describe('the order id') }),
    breaking: false,
    where: 'data $.id',
    reason: /^description changed$/,
    old: [{ id: 'a' }],
    new: [{ id: 'b' }],
  },
  {
    name: 'event: required field added with version 2 and an upcaster from 1',
    side: 'event',
    before: z.object({ id: z.string() }),
    after: z.object({ id: z.string(), currency: z.string() }),
    version: 2,
    from: { 1: { data: z.object({ id: z.string() }), upcast: (d) => ({ ...(d as object), currency: 'EUR' }) } },
    breaking: false,
    where: 'data $.currency',
    reason: /^required field added \(safe: version-1 data is upcast\)$/,
    old: [{ id: 'a' }],
  },
  {
    name: 'event: version 2 without an upcaster',
    side: 'event',
    before: z.object({ id: z.string() }),
    after: z.object({ id: z.string(), currency: z.string() }),
    version: 2,
    breaking: true,
    where: 'version',
    reason: /^version 1 → 2 without an upcaster from version 1/,
    old: [{ id: 'a' }],
  },
  {
    name: 'event: version 2 with an upcaster that refuses version-1 data',
    side: 'event',
    before: z.object({ id: z.string() }),
    after: z.object({ id: z.string(), currency: z.string() }),
    version: 2,
    from: { 1: { data: z.object({ id: z.uuid() }), upcast: (d) => ({ ...(d as object), currency: 'EUR' }) } },
    breaking: true,
    where: 'upcaster 1 data $.id',
    reason: /^format "uuid" added: the upcaster from version 1 rejects what version-1 producers wrote$/,
    old: [{ id: 'a' }],
  },
  // A command's input: deployed callers write it, the new service reads it.
  {
    name: 'input: optional field added',
    side: 'input',
    before: z.object({ id: z.string() }),
    after: z.object({ id: z.string(), note: z.string().optional() }),
    breaking: false,
    where: 'input $.note',
    reason: /^optional field added$/,
    old: [{ id: 'a' }],
  },
  {
    name: 'input: required field added',
    side: 'input',
    before: z.object({ id: z.string() }),
    after: z.object({ id: z.string(), card: z.string() }),
    breaking: true,
    where: 'input $.card',
    reason: /^required field added: deployed callers send what the service now rejects$/,
    old: [{ id: 'a' }],
  },
  {
    name: 'input: field removed',
    side: 'input',
    before: z.object({ id: z.string(), note: z.string() }),
    after: z.object({ id: z.string() }),
    breaking: false,
    where: 'input $.note',
    reason: /^field removed$/,
    old: [{ id: 'a', note: 'n' }],
  },
  {
    name: 'input: enum value added',
    side: 'input',
    before: z.object({ s: z.enum(['a']) }),
    after: z.object({ s: z.enum(['a', 'b']) }),
    breaking: false,
    where: 'input $.s',
    reason: /^enum value "b" added$/,
    old: [{ s: 'a' }],
  },
  {
    name: 'input: enum value removed',
    side: 'input',
    before: z.object({ s: z.enum(['a', 'b']) }),
    after: z.object({ s: z.enum(['a']) }),
    breaking: true,
    where: 'input $.s',
    reason: /^enum value "b" removed: deployed callers/,
    old: [{ s: 'a' }, { s: 'b' }],
  },
  {
    name: 'input: maxLength loosened',
    side: 'input',
    before: z.object({ name: z.string().max(3) }),
    after: z.object({ name: z.string().max(10) }),
    breaking: false,
    where: 'input $.name',
    reason: /^maxLength loosened from 3 to 10$/,
    old: [{ name: 'abc' }, { name: '' }],
  },
  {
    name: 'input: minimum raised',
    side: 'input',
    before: z.object({ qty: z.number().min(0) }),
    after: z.object({ qty: z.number().min(1) }),
    breaking: true,
    where: 'input $.qty',
    reason: /^minimum tightened from 0 to 1/,
    old: [{ qty: 0 }, { qty: 5 }],
  },
  {
    name: 'input: union branch added',
    side: 'input',
    before: z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]),
    after: z.union([z.object({ a: z.string() }), z.object({ b: z.number() }), z.object({ c: z.boolean() })]),
    breaking: false,
    where: 'input $',
    reason: /^union branch added$/,
    old: [{ a: 'x' }, { b: 1 }],
  },
  // A versioned command's input: a deployed caller sends its version, the service upcasts it.
  {
    name: 'input: required field added with version 2 and an upcaster from 1',
    side: 'input',
    before: z.object({ id: z.string() }),
    after: z.object({ id: z.string(), card: z.string() }),
    version: 2,
    from: { 1: { data: z.object({ id: z.string() }), upcast: (d) => ({ ...(d as object), card: 'on-file' }) } },
    breaking: false,
    where: 'input $.card',
    reason: /^required field added \(safe: version-1 input is upcast\)$/,
    old: [{ id: 'a' }],
  },
  {
    name: 'input: field renamed with version 2 and an upcaster from 1',
    side: 'input',
    before: z.object({ id: z.string() }),
    after: z.object({ orderId: z.string() }),
    version: 2,
    from: { 1: { data: z.object({ id: z.string() }), upcast: (d) => ({ orderId: (d as { id: string }).id }) } },
    breaking: false,
    where: 'version',
    reason: /^version 1 → 2, with an upcaster from version 1$/,
    old: [{ id: 'a' }],
  },
  {
    name: 'input: version 2 without an upcaster',
    side: 'input',
    before: z.object({ id: z.string() }),
    after: z.object({ id: z.string(), card: z.string() }),
    version: 2,
    breaking: true,
    where: 'version',
    reason: /^version 1 → 2 without an upcaster from version 1: deployed callers send version 1 and get 400/,
    old: [{ id: 'a' }],
  },
  {
    name: 'input: version 2 with an upcaster that refuses version-1 input',
    side: 'input',
    before: z.object({ id: z.string() }),
    after: z.object({ id: z.string(), card: z.string() }),
    version: 2,
    from: { 1: { data: z.object({ id: z.uuid() }), upcast: (d) => ({ ...(d as object), card: 'on-file' }) } },
    breaking: true,
    where: 'upcaster 1 input $.id',
    reason: /^format "uuid" added: the upcaster from version 1 rejects what version-1 callers send$/,
    old: [{ id: 'a' }],
  },
  {
    name: 'input: an older version no longer taken',
    side: 'input',
    before: z.object({ id: z.string(), card: z.string() }),
    after: z.object({ id: z.string(), card: z.string() }),
    was: {
      version: 2,
      from: { 1: { data: z.object({ id: z.string() }), upcast: (d) => ({ ...(d as object), card: 'c' }) } },
    },
    version: 2,
    breaking: true,
    where: 'version',
    reason: /^version 1 no longer taken: callers still built against it get 400 TANDEM_UNSUPPORTED_VERSION/,
    oldAt: 1,
    old: [{ id: 'a' }],
  },
  {
    name: 'input: version goes back',
    side: 'input',
    before: z.object({ id: z.string(), card: z.string() }),
    after: z.object({ id: z.string() }),
    was: {
      version: 2,
      from: { 1: { data: z.object({ id: z.string() }), upcast: (d) => ({ ...(d as object), card: 'c' }) } },
    },
    breaking: true,
    where: 'version',
    reason: /^version 2 → 1: a version never goes back/,
    old: [{ id: 'a', card: 'c' }],
  },
  // A command's output: the new service writes it, deployed callers read it.
  // Found by rules.property.test.ts: a deployed caller's closed object refuses any new field, required or not.
  {
    name: 'output: required field added to a closed object',
    side: 'output',
    before: z.strictObject({}),
    after: z.strictObject({ w: z.string() }),
    breaking: true,
    where: 'output $.w',
    reason: /^required field added: deployed callers reject what the service now answers$/,
    new: [{ w: '' }],
  },
  {
    name: 'output: field added',
    side: 'output',
    before: z.object({ id: z.string() }),
    after: z.object({ id: z.string(), eta: z.string() }),
    breaking: false,
    where: 'output $.eta',
    reason: /^required field added$/,
    new: [{ id: 'a', eta: 'soon' }],
  },
  {
    name: 'output: field removed',
    side: 'output',
    before: z.object({ id: z.string(), eta: z.string() }),
    after: z.object({ id: z.string() }),
    breaking: true,
    where: 'output $.eta',
    reason: /^field removed: deployed callers reject what the service now answers$/,
    new: [{ id: 'a' }],
  },
  {
    name: 'output: enum value added',
    side: 'output',
    before: z.object({ s: z.enum(['ok']) }),
    after: z.object({ s: z.enum(['ok', 'held']) }),
    breaking: true,
    where: 'output $.s',
    reason: /^enum value "held" added: deployed callers/,
    new: [{ s: 'ok' }, { s: 'held' }],
  },
  {
    name: 'output: number narrowed to integer',
    side: 'output',
    before: z.object({ n: z.number() }),
    after: z.object({ n: z.number().int() }),
    breaking: false,
    where: 'output $.n',
    reason: /^type narrowed: number no longer accepted$/,
    new: [{ n: 3 }],
  },
  {
    name: 'output: made optional',
    side: 'output',
    before: z.object({ reason: z.string() }),
    after: z.object({ reason: z.string().optional() }),
    breaking: true,
    where: 'output $.reason',
    reason: /^field made optional: deployed callers/,
    new: [{ reason: 'r' }, {}],
  },
];

function appModel(side: Case['side'], command: CommandContract, event?: EventContract): AppModel {
  if (side === 'event') {
    return {
      services: [],
      sync: [],
      sagas: [],
      events: [{ contract: event!, publishers: ['p'], consumers: [{ service: 'c1', group: 'c1', handlerName: 'on' }] }],
    };
  }
  return { services: [], events: [], sagas: [], sync: [{ contract: command, service: 'svc', handlerName: 'do' }] };
}

/** A command with this input and output, and, when given, a version and older inputs. */
function command(input: Schema, output: Schema, version = 1, from?: Record<number, Upcaster>): CommandContract {
  const older =
    from && Object.fromEntries(Object.entries(from).map(([v, u]) => [v, { input: u.data, upcast: u.upcast }]));
  return defineCommand('svc.do', { input, output, version, ...(older ? { from: older } : {}) } as never);
}

/** The baseline's command and the app's (input and output cases), or undefined for events. */
function commands(c: Case): [CommandContract, CommandContract] {
  const empty = z.object({});
  if (c.side === 'output') return [command(empty, c.before), command(empty, c.after)];
  return [command(c.before, empty, c.was?.version, c.was?.from), command(c.after, empty, c.version, c.from)];
}

function snapshots(c: Case) {
  const before = c.side === 'event' ? defineEvent('svc.happened', { data: c.before }) : undefined;
  const after =
    c.side === 'event'
      ? defineEvent('svc.happened', { data: c.after, version: c.version ?? 1, ...(c.from ? { from: c.from } : {}) })
      : undefined;
  const [oldCommand, newCommand] = commands(c);
  return [
    contractsSnapshot(appModel(c.side, oldCommand, before)),
    contractsSnapshot(appModel(c.side, newCommand, after)),
  ] as const;
}

/** What a reader makes of a writer's sample: the writer parses (and strips) it, it crosses the wire as JSON, the reader parses it. */
function readBy(writer: Schema, reader: Schema, sample: unknown, upcast?: Upcaster): boolean {
  const written = writer.safeParse(sample);
  expect(written.success, `sample ${JSON.stringify(sample)} is not valid for its writer`).toBe(true);
  const wire: unknown = JSON.parse(JSON.stringify(written.data));
  if (!upcast) return reader.safeParse(wire).success;
  const old = upcast.data.safeParse(wire);
  return old.success && reader.safeParse(upcast.upcast(old.data)).success;
}

/**
 * What the new service makes of a deployed caller's input, through the server's own path:
 * the version the caller sends (refused if the contract does not take it), the upcast, then
 * the current schema.
 */
async function readInput(c: Case, sample: unknown): Promise<boolean> {
  const [oldCommand, newCommand] = commands(c);
  const at = c.oldAt ?? oldCommand.version;
  const writer = at === oldCommand.version ? oldCommand.input : oldCommand.olderVersions.get(at)!.input;
  const written = writer.safeParse(sample);
  expect(written.success, `sample ${JSON.stringify(sample)} is not valid for its writer`).toBe(true);
  const wire: unknown = JSON.parse(JSON.stringify(written.data));
  try {
    const upcast = await upcastInput(newCommand, requestedInputVersion(newCommand, String(at)), wire);
    return newCommand.input.safeParse(upcast).success;
  } catch {
    return false;
  }
}

/** The reads that happen while old and new are both deployed, and whether each succeeds. */
async function reads(c: Case): Promise<boolean[]> {
  if (c.side === 'output') return (c.new ?? []).map((s) => readBy(c.after, c.before, s));
  if (c.side === 'input') return Promise.all((c.old ?? []).map((s) => readInput(c, s)));
  const upcaster = c.version !== undefined ? c.from?.[1] : undefined;
  const inFlight = (c.old ?? []).map((s) => readBy(c.before, c.after, s, upcaster));
  // A bumped version is read by consumers that know it; old consumers are not asked to read it.
  const fresh = c.version === undefined ? (c.new ?? []).map((s) => readBy(c.after, c.before, s)) : [];
  return [...inFlight, ...fresh];
}

describe('the compatibility rules', () => {
  it('has at least 15 schema changes', () => expect(cases.length).toBeGreaterThanOrEqual(15));

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const [before, after] = snapshots(c);
    const changes = checkContracts(before, after);
    const change = changes.find((x) => x.where === c.where && c.reason.test(x.reason));
    expect(
      change,
      `no change at '${c.where}' matching ${c.reason}; got ${JSON.stringify(changes, null, 1)}`,
    ).toBeDefined();
    expect(change!.breaking).toBe(c.breaking);
    expect(changes.some((x) => x.breaking)).toBe(c.breaking);

    const results = await reads(c);
    expect(results.length, 'the case needs samples').toBeGreaterThan(0);
    if (c.breaking) expect(results, 'a breaking change with no sample that fails to parse').toContain(false);
    else expect(results, 'a safe change with a sample that fails to parse').not.toContain(false);
  });
});
