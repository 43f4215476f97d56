/**
 * Contracts are values shared by producer and consumer. They carry the zod schemas, so
 * the call site, the handler and the wire validation are all typed from one place.
 */
import type { z } from 'zod';
import { RegistrationError } from '../errors/errors.js';
import {
  checkOlderVersions,
  checkVersion,
  type AcceptsPolicy,
  type InputUpcastChain,
  type OlderInput,
  type OlderVersion,
  type UpcastChain,
} from './versions.js';

/** A zod schema: contracts validate inputs, outputs and event data with it. */
export type Schema = z.ZodType;

/** Where the HTTP transport serves a sync contract, when the default route does not fit. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
}

interface SyncContractBase<N extends string, I extends Schema, O extends Schema> {
  readonly name: N;
  /** The service that answers this contract; by default the name's first segment. */
  readonly service: string;
  readonly input: I;
  readonly output: O;
  /**
   * Version of the input, 1 unless declared. Callers built against it send it in the
   * `tandem-contract-version` header; the server upcasts an older one (docs/evolution.md).
   */
  readonly version: number;
  /** Older input versions the server still takes, by version: each one's schema and upcast to the next. */
  readonly olderVersions: ReadonlyMap<number, OlderInput>;
  readonly route?: RouteSpec;
  readonly description?: string;
}

/** A command: a request that changes something, answered synchronously (POST /commands/<name>). */
export interface CommandContract<
  N extends string = string,
  I extends Schema = Schema,
  O extends Schema = Schema,
> extends SyncContractBase<N, I, O> {
  readonly kind: 'command';
}

/** A query: a read without side effects, answered synchronously (GET /queries/<name>). */
export interface QueryContract<
  N extends string = string,
  I extends Schema = Schema,
  O extends Schema = Schema,
> extends SyncContractBase<N, I, O> {
  readonly kind: 'query';
}

/** An event: a fact a service publishes and any number of consumer groups handle. */
export interface EventContract<N extends string = string, D extends Schema = Schema> {
  readonly kind: 'event';
  readonly name: N;
  readonly data: D;
  /** Schema version, carried as the CloudEvents `dataschema` suffix; bump it on breaking change. */
  readonly version: number;
  /**
   * Older versions a consumer still takes, by version: each one's schema and upcast to the
   * next. Empty when the contract has none (docs/evolution.md).
   */
  readonly olderVersions: ReadonlyMap<number, OlderVersion>;
  /** `'newer'`: messages of a newer version are validated against this one and handled, not dead-lettered. */
  readonly accepts?: AcceptsPolicy;
  /** Broker topic (Kafka) or routing key (RabbitMQ); the event name unless overridden. */
  readonly topic: string;
  /** The service that publishes it; by default the name's first segment. */
  readonly service: string;
  readonly description?: string;
}

/** A command or a query: what `ctx.call` and the HTTP server take. */
export type SyncContract = CommandContract | QueryContract;
/** Any contract: command, query or event. */
export type AnyContract = SyncContract | EventContract;

/** What a caller passes in / gets back, and what a handler receives / returns. */
export type InputOf<C extends SyncContract> = z.input<C['input']>;
/** What a command or query handler receives (after parsing). */
export type ParsedInputOf<C extends SyncContract> = z.output<C['input']>;
/** What a caller gets back from a command or query. */
export type OutputOf<C extends SyncContract> = z.output<C['output']>;
/** What a command or query handler may return (before output parsing). */
export type ReturnOf<C extends SyncContract> = z.input<C['output']>;
/** What `ctx.publish` takes for an event. */
export type DataOf<E extends EventContract> = z.input<E['data']>;
/** What an event handler receives (after parsing). */
export type ParsedDataOf<E extends EventContract> = z.output<E['data']>;

// Dots separate segments; each starts with a letter. These names become HTTP paths,
// Kafka topics and AMQP routing keys, so the alphabet is kept to what all three accept.
const NAME = /^[a-zA-Z][a-zA-Z0-9_-]*(\.[a-zA-Z][a-zA-Z0-9_-]*)+$/;

function checkName(kind: string, name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new RegistrationError(
      `define${kind}('${String(name)}'): a contract name is dot-separated segments like 'orders.place' (letters, digits, '-', '_'), with the service first`,
    );
  }
  return name.slice(0, name.indexOf('.'));
}

function checkSchema(where: string, schema: unknown): void {
  if (typeof schema !== 'object' || schema === null || typeof (schema as Schema).safeParse !== 'function') {
    throw new RegistrationError(`${where}: expected a zod schema`);
  }
}

/** Options of `defineCommand` and `defineQuery`. */
export interface SyncContractOptions<
  I extends Schema,
  O extends Schema,
  V extends number = number,
  F = Record<number, Schema>,
> {
  input: I;
  output: O;
  /** The current version of the input, the one handlers receive. Default 1. */
  version?: V;
  /**
   * Older inputs the server still takes from callers built against them:
   * `{ 1: { input: V1, upcast: (v1) => v2 } }`. Each upcast receives its version's parsed
   * input and returns the next version's input. The output has no versions: it is what
   * every caller reads, so it may only change compatibly.
   */
  from?: InputUpcastChain<F, V, I>;
  service?: string;
  route?: RouteSpec;
  description?: string;
}

/** Defines a command: its name ('orders.place', owner first), input and output schemas, version and optional route. */
export function defineCommand<
  const N extends string,
  I extends Schema,
  O extends Schema,
  const V extends number = 1,
  F extends { [version: number]: Schema } = Record<never, never>,
>(name: N, options: SyncContractOptions<I, O, V, F>): CommandContract<N, I, O> {
  return defineSync('command', name, options);
}

/** Defines a query: its name ('orders.get'), input and output schemas, version and optional route. */
export function defineQuery<
  const N extends string,
  I extends Schema,
  O extends Schema,
  const V extends number = 1,
  F extends { [version: number]: Schema } = Record<never, never>,
>(name: N, options: SyncContractOptions<I, O, V, F>): QueryContract<N, I, O> {
  return defineSync('query', name, options);
}

function defineSync<K extends 'command' | 'query', N extends string, I extends Schema, O extends Schema>(
  kind: K,
  name: N,
  options: Omit<SyncContractOptions<I, O>, 'version' | 'from'> & { version?: number; from?: object },
) {
  const label = kind === 'command' ? 'Command' : 'Query';
  const where = `define${label}('${name}')`;
  const prefix = checkName(label, name);
  checkSchema(`${where}.input`, options?.input);
  checkSchema(`${where}.output`, options?.output);
  if (options.route && !options.route.path.startsWith('/')) {
    throw new RegistrationError(`${where}.route.path must start with '/'`);
  }
  const version = checkVersion(where, options.version);
  const olderVersions = checkOlderVersions(where, 'input', version, options.from);
  return Object.freeze({
    kind,
    name,
    service: options.service ?? prefix,
    input: options.input,
    output: options.output,
    version,
    olderVersions: olderVersions as ReadonlyMap<number, OlderInput>,
    ...(options.route ? { route: options.route } : {}),
    ...(options.description ? { description: options.description } : {}),
  }) as unknown as K extends 'command' ? CommandContract<N, I, O> : QueryContract<N, I, O>;
}

/** Options of `defineEvent`. */
export interface EventContractOptions<D extends Schema, V extends number = number, F = Record<number, Schema>> {
  data: D;
  /** The current version, the one producers publish. Default 1. */
  version?: V;
  /**
   * Older versions consumers still take: `{ 1: { data: V1, upcast: (v1) => v2 } }`. Each
   * upcast receives its version's parsed data and returns the next version's input.
   */
  from?: UpcastChain<F, V, D>;
  /** `'newer'` handles messages of a newer version as this one (forward compatible) instead of dead-lettering them. */
  accepts?: AcceptsPolicy;
  topic?: string;
  service?: string;
  description?: string;
}

/** Defines an event: its name ('orders.placed'), data schema, version, older versions and topic. */
export function defineEvent<
  const N extends string,
  D extends Schema,
  const V extends number = 1,
  F extends { [version: number]: Schema } = Record<never, never>,
>(name: N, options: EventContractOptions<D, V, F>): EventContract<N, D> {
  const where = `defineEvent('${name}')`;
  const prefix = checkName('Event', name);
  checkSchema(`${where}.data`, options?.data);
  const version = checkVersion(where, options.version);
  const olderVersions = checkOlderVersions(where, 'data', version, options.from) as ReadonlyMap<number, OlderVersion>;
  if (options.accepts !== undefined && options.accepts !== 'newer') {
    throw new RegistrationError(
      `defineEvent('${name}').accepts: '${String(options.accepts)}' is not a policy; use 'newer' or leave it out`,
    );
  }
  return Object.freeze({
    kind: 'event' as const,
    name,
    data: options.data,
    version,
    olderVersions,
    ...(options.accepts ? { accepts: options.accepts } : {}),
    topic: options.topic ?? name,
    service: options.service ?? prefix,
    ...(options.description ? { description: options.description } : {}),
  });
}

/** True for values made by `defineCommand`, `defineQuery` or `defineEvent`. */
export function isContract(value: unknown): value is AnyContract {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return (
    (kind === 'command' || kind === 'query' || kind === 'event') && typeof (value as AnyContract).name === 'string'
  );
}
