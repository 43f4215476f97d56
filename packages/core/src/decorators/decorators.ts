/**
 * Decorators only record metadata on the class (reflect-metadata); `describeService`
 * reads it into the same ServiceDefinition the `service()` builder makes. Nothing runs
 * at decoration time, so a mistake surfaces as one clear error when the app starts.
 *
 * These are TypeScript's `experimentalDecorators`. Called as standard (TC39) decorators,
 * they record an error that names the tsconfig flag to set.
 */
import 'reflect-metadata';
import type {
  AnyContract,
  CommandContract,
  EventContract,
  ParsedDataOf,
  ParsedInputOf,
  QueryContract,
  ReturnOf,
} from '../contracts/contracts.js';
import type { HandlerContext } from '../runtime/handler-context.js';
import type {
  EventHandlerOptions,
  HandlerKind,
  HandlerOptions,
  HandlerRegistration,
  ServiceDefinition,
} from '../runtime/service.js';
import { RegistrationError } from '../errors/errors.js';
import { isContract } from '../contracts/contracts.js';
import { isSagaClass, readSagaClass } from '../sagas/decorators.js';

const SERVICE_KEY = 'tandem:service';
const HANDLERS_KEY = 'tandem:handlers';

interface ServiceRecord {
  name: string;
  /** Set when the decorator was given no usable name; reported at start. */
  problem?: string;
}

interface HandlerRecord {
  kind: HandlerKind;
  contract: unknown;
  method: string;
  options: EventHandlerOptions;
  /** Set when the decorator was applied wrongly; reported at start. */
  problem?: string;
}

/** Marks a class as a service named `name`; its decorated methods are its handlers. */
export function Service(name: string): ClassDecorator {
  return (target: object) => {
    if (typeof target !== 'function') {
      throw new RegistrationError(`@Service('${name}') decorates classes only`);
    }
    const record: ServiceRecord = { name };
    if (typeof name !== 'string' || name.trim() === '')
      record.problem = `class ${target.name}: @Service(${name === undefined ? '' : JSON.stringify(name)}) needs a name, e.g. @Service('orders'); it names the service's routes, consumer group and logs`;
    Reflect.defineMetadata(SERVICE_KEY, record, target);
  };
}

type Method<A, R> = (input: A, ctx: HandlerContext) => R;

function handlerDecorator(kind: HandlerKind, label: string, contract: unknown, options: EventHandlerOptions) {
  return (
    target: object,
    key?: string | symbol | { kind?: string; name?: unknown },
    descriptor?: PropertyDescriptor,
  ): void => {
    if (typeof key === 'object' && key !== null) {
      // A TC39 decorator call: (value, context). Record and report at start.
      const klass = (key as { metadata?: object }).metadata;
      if (klass) {
        const records = ((klass as Record<symbol, HandlerRecord[]>)[Symbol.for('tandem:handlers')] ??= []);
        records.push({ kind, contract, method: String(key.name), options, problem: standardDecoratorProblem(label) });
      } else {
        throw new RegistrationError(standardDecoratorProblem(label));
      }
      return;
    }
    const owner = typeof target === 'function' ? target : target.constructor;
    const method = String(key);
    const records: HandlerRecord[] = [
      ...((Reflect.getOwnMetadata(HANDLERS_KEY, owner) as HandlerRecord[] | undefined) ?? []),
    ];
    const record: HandlerRecord = { kind, contract, method, options };
    if (typeof target === 'function')
      record.problem = `@${label} on static member '${owner.name}.${method}': decorate an instance method`;
    else if (!descriptor || typeof descriptor.value !== 'function') {
      record.problem = `@${label} on '${owner.name}.${method}': it is not a method; decorate a method of the class`;
    } else if (!isContract(contract) || contract.kind !== kind) {
      record.problem = `@${label} on '${owner.name}.${method}' needs a ${kind} contract (define${label}(...)), got ${describe(contract)}`;
    }
    records.push(record);
    Reflect.defineMetadata(HANDLERS_KEY, records, owner);
  };
}

function standardDecoratorProblem(label: string): string {
  return `@${label} was applied as a standard (TC39) decorator; Tandem's decorators need "experimentalDecorators": true in tsconfig.json (and the plain-function API works without it)`;
}

function describe(value: unknown): string {
  if (value === undefined)
    return 'undefined (is the contract imported before it is defined? check for an import cycle)';
  if (isContract(value)) return `the ${value.kind} '${value.name}'`;
  return typeof value;
}

/** Marks a method as the handler of a command contract. */
export function Command<C extends CommandContract>(contract: C, options: HandlerOptions = {}) {
  return handlerDecorator('command', 'Command', contract, options) as <
    T extends Method<ParsedInputOf<C>, Promise<ReturnOf<C>> | ReturnOf<C>>,
  >(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ) => void;
}

/** Marks a method as the handler of a query contract. */
export function Query<C extends QueryContract>(contract: C, options: HandlerOptions = {}) {
  return handlerDecorator('query', 'Query', contract, options) as <
    T extends Method<ParsedInputOf<C>, Promise<ReturnOf<C>> | ReturnOf<C>>,
  >(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ) => void;
}

/** Marks a method as a handler of an event contract, in the service's consumer group unless `group` says otherwise. */
export function OnEvent<E extends EventContract>(contract: E, options: EventHandlerOptions = {}) {
  return handlerDecorator('event', 'OnEvent', contract, options) as <
    T extends Method<ParsedDataOf<E>, Promise<void> | void>,
  >(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ) => void;
}

function isServiceDefinition(value: unknown): value is ServiceDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ServiceDefinition).name === 'string' &&
    Array.isArray((value as ServiceDefinition).handlers)
  );
}

/** A class (instantiated with no arguments), an instance of a decorated class, or a ServiceDefinition. */
export type ServiceInput = ServiceDefinition | object | (new () => object);

/** Reads a decorated class or instance into a ServiceDefinition, reporting every decorator mistake at once. */
export function describeService(input: ServiceInput): ServiceDefinition {
  const { definition, problems } = readService(input);
  if (problems.length > 0 || !definition) throw new RegistrationError(problems.join('\n'));
  return definition;
}

/**
 * Reads a service without throwing: every mistake its decorators hold, and its definition
 * when it has none, so that an app can report the mistakes of all its services at once.
 */
export function readService(input: ServiceInput): { definition?: ServiceDefinition; problems: string[] } {
  if (isServiceDefinition(input)) return { definition: input, problems: [] };
  const instance = (typeof input === 'function' ? new (input as new () => object)() : input) as Record<string, unknown>;
  const klass = instance.constructor as (new () => object) & { name: string };
  if (isSagaClass(klass)) return readSagaClass(instance, klass);
  const serviceRecord = Reflect.getMetadata(SERVICE_KEY, klass) as ServiceRecord | undefined;
  const records = collectHandlerRecords(klass);
  const where = serviceRecord && !serviceRecord.problem ? `service '${serviceRecord.name}': ` : '';
  const problems = records.filter((r) => r.problem).map((r) => where + r.problem!);
  if (!serviceRecord) {
    const methods = records.map((r) => `${klass.name}.${r.method}`).join(', ');
    problems.push(
      `class ${klass.name} is passed as a service but has no @Service('name') decorator${methods ? ` (its handlers: ${methods})` : ''}`,
    );
  } else if (serviceRecord.problem) problems.push(serviceRecord.problem);
  if (!serviceRecord || serviceRecord.problem) return { problems };
  // The sound handlers still go on to the app's checks (duplicates across services, retry).
  const handlers: HandlerRegistration[] = records
    .filter((r) => !r.problem)
    .map((r) => ({
      kind: r.kind,
      contract: r.contract as AnyContract,
      service: serviceRecord.name,
      handlerName: `${klass.name}.${r.method}`,
      fn: (instance[r.method] as (input: unknown, ctx: HandlerContext) => unknown).bind(instance),
      options: r.options,
    }));
  return { definition: { name: serviceRecord.name, handlers }, problems };
}

/** Handlers declared on the class and its base classes; a subclass's method wins over its parent's. */
function collectHandlerRecords(klass: object): HandlerRecord[] {
  const seen = new Set<string>();
  const out: HandlerRecord[] = [];
  for (let c: object | null = klass; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const own = (Reflect.getOwnMetadata(HANDLERS_KEY, c) as HandlerRecord[] | undefined) ?? [];
    const standard = (
      (c as Record<symbol, unknown>)[Symbol.for('Symbol.metadata')] as Record<symbol, HandlerRecord[]> | undefined
    )?.[Symbol.for('tandem:handlers')];
    for (const record of [...own, ...(standard ?? [])]) {
      const id = `${record.kind}:${record.method}:${isContract(record.contract) ? record.contract.name : ''}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(record);
    }
  }
  return out;
}
