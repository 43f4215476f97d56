/**
 * A saga (process manager) as the user declares it: a typed state, the messages that start
 * and advance it, a correlation key taken from each, and a step per message. The builder is
 * also a ServiceDefinition, so a saga goes wherever a service goes (`createApp({ services })`,
 * `tandem docs`): its handlers are the saga's steps compiled by compile.ts.
 */
import type { z } from 'zod';
import type { CommandContract, EventContract, OutputOf, ParsedDataOf, Schema } from '../contracts/contracts.js';
import { RegistrationError } from '../errors/errors.js';
import type { RetryPolicy } from '../retry/retry-policy.js';
import type { HandlerRegistration, ServiceDefinition } from '../runtime/service.js';
import { compileSaga, type SagaBinding } from './compile.js';
import type { SagaStep } from './step.js';

/** Options of `saga(name, options)`. */
export interface SagaOptions<S extends Schema> {
  /** The instance's state: every step's new state is checked against it before it is saved. */
  state: S;
  /**
   * Retries of a step that throws, and of a command the saga sends (a command that still
   * fails after the last attempt is answered to the saga as a failed reply).
   */
  retry?: Partial<RetryPolicy>;
  /** Commands the saga sends that no `onReply` declares: compensations, fire-and-forget commands. */
  sends?: readonly CommandContract[];
  /** The deadline of one command call made for the saga. Default 30 s. */
  commandTimeoutMs?: number;
  /** Most messages of this saga handled at once (steps of one instance always run one at a time). Default: the app's. */
  concurrency?: number;
  description?: string;
}

/** Takes the correlation key out of a message's data: the id of the instance it belongs to. */
export type Correlate<E extends EventContract> = (data: ParsedDataOf<E>) => string;

/** A step: what drove it, and the instance to read and change. May be async (to write in `saga.tx`). */
export type SagaStepFn<M, S> = (message: M, saga: SagaStep<S>) => void | Promise<void>;

/** Why a command the saga sent failed. */
export interface SagaCommandError {
  code: string;
  message: string;
  /**
   * True when the outcome is unknown: the last attempt failed with an error that might be
   * transient (a timeout, the service unreachable), so the command may have taken effect.
   * Its undo, if it was sent with one, is kept for compensation as for a success.
   */
  uncertain: boolean;
}

/** What a command the saga sent answered: its output, or why it failed after the saga's retries. */
export type SagaReply<C extends CommandContract> =
  { ok: true; output: OutputOf<C> } | { ok: false; error: SagaCommandError };

/** A timeout as its step receives it. */
export interface SagaTimeoutFired {
  name: string;
  /** When it was due (epoch ms). */
  dueAt: number;
}

/** What happens to an event that is not a start for an instance that does not exist. */
export interface SagaEventOptions {
  /**
   * 'retry' (the default): it may have overtaken the message that starts the instance, so it
   * is retried with the saga's policy and dead-lettered if the instance never appears.
   * 'ignore': acknowledged and logged.
   */
  whenMissing?: 'retry' | 'ignore';
}

/** One declared message of a saga. */
export type SagaHandlerSpec =
  | {
      kind: 'event';
      event: EventContract;
      correlate: (data: unknown) => string;
      starts: boolean;
      whenMissing: 'retry' | 'ignore';
      step: SagaStepFn<unknown, unknown>;
      handlerName: string;
    }
  | { kind: 'reply'; command: CommandContract; step: SagaStepFn<unknown, unknown>; handlerName: string }
  | { kind: 'timeout'; name: string; step: SagaStepFn<unknown, unknown>; handlerName: string };

/** A saga as the runtime reads it. */
export interface SagaModel {
  readonly name: string;
  readonly options: SagaOptions<Schema>;
  readonly specs: readonly SagaHandlerSpec[];
  /** Every command it may send, by name. */
  readonly commands: ReadonlyMap<string, CommandContract>;
}

type StateOf<S extends Schema> = z.output<S>;

// Saga names become topic and consumer-group names: the alphabet all brokers accept.
const SAGA_NAME = /^[a-zA-Z][a-zA-Z0-9_-]*(\.[a-zA-Z][a-zA-Z0-9_-]*)*$/;
const TIMEOUT_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$/;

/** A saga being declared; pass it to createApp({ services }) like a service. */
export class SagaBuilder<S extends Schema> implements ServiceDefinition, SagaModel {
  readonly specs: SagaHandlerSpec[] = [];
  private readonly declared = new Map<string, CommandContract>();
  private compiled: { handlers: HandlerRegistration[]; binding: SagaBinding } | undefined;

  constructor(
    readonly name: string,
    readonly options: SagaOptions<S>,
  ) {
    if (typeof name !== 'string' || !SAGA_NAME.test(name))
      throw new RegistrationError(
        `saga(${JSON.stringify(name)}): a saga name is letters, digits, '-' and '_' in dot-separated segments, like 'checkout' or 'orders.fulfilment'`,
      );
    if (typeof options?.state?.safeParse !== 'function')
      throw new RegistrationError(`saga('${name}').state: expected a zod schema for the instance's state`);
    for (const command of options.sends ?? []) this.declare(command, 'sends');
  }

  get commands(): ReadonlyMap<string, CommandContract> {
    return this.declared;
  }

  /**
   * An event that starts an instance for the key `correlate` gives. Its step sees state
   * undefined for a new instance; for one already running it sees the state so far (so that
   * several events that may each come first can all start it; return without changes to
   * ignore a repeated start). For an ended instance it is recorded and ignored.
   */
  startedBy<E extends EventContract>(
    event: E,
    correlate: Correlate<E>,
    step: SagaStepFn<ParsedDataOf<E>, StateOf<S> | undefined>,
  ): this {
    return this.event(event, correlate, step, true, {});
  }

  /** An event that advances a running instance. */
  on<E extends EventContract>(
    event: E,
    correlate: Correlate<E>,
    step: SagaStepFn<ParsedDataOf<E>, StateOf<S>>,
    options: SagaEventOptions = {},
  ): this {
    return this.event(event, correlate, step, false, options);
  }

  /** The answer to a command the instance sent with `saga.send`: its output, or its failure after retries. */
  onReply<C extends CommandContract>(command: C, step: SagaStepFn<SagaReply<C>, StateOf<S>>): this {
    this.declare(command, 'onReply');
    if (this.specs.some((s) => s.kind === 'reply' && s.command.name === command.name))
      throw new RegistrationError(`saga('${this.name}').onReply(${command.name}) is declared twice`);
    this.specs.push({
      kind: 'reply',
      command,
      step: step as SagaStepFn<unknown, unknown>,
      handlerName: step.name || `reply:${command.name}`,
    });
    return this.changed();
  }

  /** A timeout the instance scheduled with `saga.schedule(name, ms)` came due and was not cancelled. */
  onTimeout(name: string, step: SagaStepFn<SagaTimeoutFired, StateOf<S>>): this {
    if (typeof name !== 'string' || !TIMEOUT_NAME.test(name))
      throw new RegistrationError(
        `saga('${this.name}').onTimeout(${JSON.stringify(name)}): a timeout name is up to 64 letters, digits, '.', '-', '_'`,
      );
    if (this.specs.some((s) => s.kind === 'timeout' && s.name === name))
      throw new RegistrationError(`saga('${this.name}').onTimeout('${name}') is declared twice`);
    this.specs.push({
      kind: 'timeout',
      name,
      step: step as SagaStepFn<unknown, unknown>,
      handlerName: step.name || `timeout:${name}`,
    });
    return this.changed();
  }

  /** The saga's steps as event handlers (see compile.ts). */
  get handlers(): readonly HandlerRegistration[] {
    return this.compile().handlers;
  }

  /** How the app hands the saga its store and retry defaults before it starts. */
  get binding(): SagaBinding {
    return this.compile().binding;
  }

  private compile(): { handlers: HandlerRegistration[]; binding: SagaBinding } {
    if (!this.compiled) {
      if (!this.specs.some((s) => s.kind === 'event' && s.starts))
        throw new RegistrationError(
          `saga('${this.name}') has no startedBy(...): declare the event that starts an instance`,
        );
      this.compiled = compileSaga(this as SagaModel);
    }
    return this.compiled;
  }

  private event(
    event: EventContract,
    correlate: (data: never) => string,
    step: SagaStepFn<never, never>,
    starts: boolean,
    options: SagaEventOptions,
  ): this {
    const method = starts ? 'startedBy' : 'on';
    if (event?.kind !== 'event')
      throw new RegistrationError(`saga('${this.name}').${method}(...): expected an event contract`);
    if (typeof correlate !== 'function')
      throw new RegistrationError(
        `saga('${this.name}').${method}(${event.name}, ...): the second argument takes the instance's key from the event, e.g. (e) => e.orderId`,
      );
    if (this.specs.some((s) => s.kind === 'event' && s.event.name === event.name))
      throw new RegistrationError(`saga('${this.name}') handles event '${event.name}' twice`);
    this.specs.push({
      kind: 'event',
      event,
      correlate: correlate as (data: unknown) => string,
      starts,
      whenMissing: options.whenMissing ?? 'retry',
      step: step as SagaStepFn<unknown, unknown>,
      handlerName: step.name || `${method}:${event.name}`,
    });
    return this.changed();
  }

  private declare(command: CommandContract, where: string): void {
    if (command?.kind !== 'command')
      throw new RegistrationError(`saga('${this.name}').${where}: expected command contracts`);
    this.declared.set(command.name, command);
    this.changed();
  }

  private changed(): this {
    if (this.compiled) throw new RegistrationError(`saga('${this.name}'): declare every step before the app starts`);
    return this;
  }
}

/**
 * Declares a saga: `saga('checkout', { state }).startedBy(OrderPlaced, (e) => e.orderId, step)...`.
 * Each message's step reads the instance's state and says what happens next (new state,
 * events, commands, timeouts, complete, compensate); the step's effects and the instance's
 * new state commit in one transaction. See docs/sagas.md.
 */
export function saga<S extends Schema>(name: string, options: SagaOptions<S>): SagaBuilder<S> {
  return new SagaBuilder(name, options);
}

/** True for a saga definition (a ServiceDefinition that is a saga). */
export function isSaga(value: unknown): value is SagaBuilder<Schema> {
  return value instanceof SagaBuilder;
}
