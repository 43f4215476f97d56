/**
 * The decorator form of a saga: `@Saga('checkout', { state })` on a class whose methods
 * are its steps (`@StartedBy`, `@SagaOn`, `@OnReply`, `@OnTimeout`). As with services,
 * decorators only record metadata; `readSagaClass` builds the same SagaBuilder that
 * `saga()` makes, when the app starts, so mistakes are reported there, all at once.
 */
import 'reflect-metadata';
import type { CommandContract, EventContract, Schema } from '../contracts/contracts.js';
import { RegistrationError } from '../errors/errors.js';
import { saga, type SagaBuilder, type SagaEventOptions, type SagaOptions } from './define.js';

const SAGA_KEY = 'tandem:saga';
const STEPS_KEY = 'tandem:saga-steps';

type StepSpec =
  | { kind: 'start' | 'on'; event: unknown; correlate: unknown; options?: SagaEventOptions }
  | { kind: 'reply'; command: unknown }
  | { kind: 'timeout'; name: unknown };
type StepRecord = StepSpec & { method: string };

/** Marks a class as saga `name`; its decorated methods are its steps. */
export function Saga<S extends Schema>(name: string, options: SagaOptions<S>): ClassDecorator {
  return (target: object) => {
    Reflect.defineMetadata(SAGA_KEY, { name, options }, target);
  };
}

function step(record: StepSpec): MethodDecorator {
  return (target: object, key: string | symbol) => {
    const owner = target.constructor;
    const records = (Reflect.getOwnMetadata(STEPS_KEY, owner) as StepRecord[] | undefined) ?? [];
    Reflect.defineMetadata(STEPS_KEY, [...records, { ...record, method: String(key) } as StepRecord], owner);
  };
}

/** A method that starts an instance for the key `correlate` takes from the event (see SagaBuilder.startedBy). */
export function StartedBy<E extends EventContract>(event: E, correlate: (data: never) => string): MethodDecorator {
  return step({ kind: 'start', event, correlate });
}

/** A method that advances a running instance on this event (see SagaBuilder.on). */
export function SagaOn<E extends EventContract>(
  event: E,
  correlate: (data: never) => string,
  options: SagaEventOptions = {},
): MethodDecorator {
  return step({ kind: 'on', event, correlate, options });
}

/** A method that takes the reply to a command the instance sent. */
export function OnReply(command: CommandContract): MethodDecorator {
  return step({ kind: 'reply', command });
}

/** A method that takes a timeout the instance scheduled. */
export function OnTimeout(name: string): MethodDecorator {
  return step({ kind: 'timeout', name });
}

/** Whether `klass` is decorated with @Saga. */
export function isSagaClass(klass: object): boolean {
  return Reflect.hasMetadata(SAGA_KEY, klass);
}

/** Builds the saga a @Saga class declares; every mistake found goes into `problems`. */
export function readSagaClass(
  instance: Record<string, unknown>,
  klass: object & { name: string },
): { definition?: SagaBuilder<Schema>; problems: string[] } {
  const { name, options } = Reflect.getMetadata(SAGA_KEY, klass) as { name: string; options: SagaOptions<Schema> };
  const problems: string[] = [];
  let builder: SagaBuilder<Schema>;
  try {
    builder = saga(name, options);
  } catch (error) {
    return { problems: [`class ${klass.name}: ${(error as Error).message}`] };
  }
  const records: StepRecord[] = [];
  for (let c: object | null = klass; c && c !== Function.prototype; c = Object.getPrototypeOf(c))
    records.unshift(...((Reflect.getOwnMetadata(STEPS_KEY, c) as StepRecord[] | undefined) ?? []));
  for (const record of records) {
    const fn = instance[record.method];
    if (typeof fn !== 'function') {
      problems.push(`class ${klass.name}: ${record.method} is decorated as a saga step but is not a method`);
      continue;
    }
    const bound = Object.defineProperty(fn.bind(instance), 'name', { value: `${klass.name}.${record.method}` });
    try {
      if (record.kind === 'start')
        builder.startedBy(record.event as EventContract, record.correlate as (d: unknown) => string, bound);
      else if (record.kind === 'on')
        builder.on(record.event as EventContract, record.correlate as (d: unknown) => string, bound, record.options);
      else if (record.kind === 'reply') builder.onReply(record.command as CommandContract, bound);
      else if (record.kind === 'timeout') builder.onTimeout(record.name as string, bound);
    } catch (error) {
      problems.push(`class ${klass.name}, ${record.method}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) return { problems };
  try {
    void builder.handlers;
  } catch (error) {
    if (error instanceof RegistrationError) return { problems: [`class ${klass.name}: ${error.message}`] };
    throw error;
  }
  return { definition: builder, problems };
}
