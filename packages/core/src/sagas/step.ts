/**
 * What a saga step gets: the instance's state to read, and the ways to say what happens
 * next. Nothing happens while the step runs: the step records a plan, and the runtime
 * carries it out after the step returns, in the step's transaction (see apply.ts).
 */
import type { CommandContract, DataOf, EventContract, InputOf } from '../contracts/contracts.js';
import { RegistrationError, ValidationError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import type { HandlerMeta, PublishOptions } from '../runtime/handler-context.js';
import { safeParse } from '../middleware/validation.js';
import type { SagaAction, SagaStatus } from './saga-store.js';

/** What undoes a step's work: built with `undo.command(...)` or `undo.event(...)`. */
export interface SagaUndo {
  readonly action: SagaAction;
  /** The contract, so its input or data can be checked when the undo is declared. */
  readonly contract: CommandContract | EventContract;
}

/** Builds compensations: `undo.command(ReleaseStock, { orderId })`, `undo.event(OrderCancelled, { orderId })`. */
export const undo = {
  /** Undone by sending this command (through the saga's dispatcher, with its retries). */
  command<C extends CommandContract>(command: C, input: InputOf<C>): SagaUndo {
    return {
      action: { kind: 'command', name: command.name, input, inputVersion: command.version ?? 1 },
      contract: command,
    };
  },
  /** Undone by publishing this event. */
  event<E extends EventContract>(event: E, data: DataOf<E>, options: { key?: string } = {}): SagaUndo {
    return {
      action: {
        kind: 'event',
        name: event.name,
        topic: event.topic,
        version: event.version,
        data,
        ...(options.key !== undefined ? { key: options.key } : {}),
      },
      contract: event,
    };
  },
};

/** A command the step sends. */
export interface PlannedSend {
  command: CommandContract;
  input: unknown;
  undo?: SagaAction;
}

/** What a step asked for; apply.ts carries it out. */
export interface StepPlan {
  state?: { value: unknown };
  events: Array<{ event: EventContract; data: unknown; options: PublishOptions }>;
  sends: PlannedSend[];
  undos: SagaAction[];
  schedule: Map<string, number>;
  cancel: Set<string>;
  complete: boolean;
  compensate?: string;
}

/** The instance as a step sees it, and what the step can ask for. Each method returns the step, to chain. */
export interface SagaStep<S> {
  /** The correlation key. */
  readonly id: string;
  /** The state as of this step (for a start: undefined until `set`). */
  readonly state: S;
  readonly status: SagaStatus;
  /** The step's store transaction: your own writes here commit with the step. */
  readonly tx: unknown;
  readonly log: Logger;
  /** The message that drove the step. */
  readonly meta: HandlerMeta;
  /** The new state, checked against the saga's schema when the step ends. */
  set(state: NonNullable<S>): this;
  /** An event, sent if the step commits (through the outbox). */
  publish<E extends EventContract>(event: E, data: DataOf<E>, options?: PublishOptions): this;
  /**
   * A command, sent for the instance by the saga's dispatcher once the step commits, with the
   * saga's retries and an idempotency key; its answer comes back to `onReply(command)`.
   * `options.undo` is what undoes it if it succeeded and the saga later compensates.
   */
  send<C extends CommandContract>(command: C, input: InputOf<C>, options?: { undo?: SagaUndo }): this;
  /** What undoes work already done by this step or the message that drove it, for a later compensation. */
  compensateWith(action: SagaUndo): this;
  /** A timeout delivered to `onTimeout(name)` after `delayMs`; replaces one of that name already scheduled. */
  schedule(name: string, delayMs: number): this;
  /** Cancels a scheduled timeout; a message of it already on its way is ignored when it arrives. */
  cancel(name: string): this;
  /** Ends the instance successfully; its timeouts are cancelled and its compensations forgotten. */
  complete(): this;
  /** Undoes the completed steps, newest first (see docs/sagas.md), then ends the instance as compensated. */
  compensate(reason: string): this;
}

/** Longest delay a timeout may have: 365 days. */
const MAX_DELAY_MS = 365 * 24 * 60 * 60_000;

export class SagaStepImpl<S> implements SagaStep<S> {
  readonly plan: StepPlan = {
    events: [],
    sends: [],
    undos: [],
    schedule: new Map(),
    cancel: new Set(),
    complete: false,
  };

  constructor(
    private readonly saga: string,
    readonly id: string,
    readonly state: S,
    readonly status: SagaStatus,
    readonly tx: unknown,
    readonly log: Logger,
    readonly meta: HandlerMeta,
    private readonly commands: ReadonlyMap<string, CommandContract>,
    private readonly timeouts: ReadonlySet<string>,
  ) {}

  set(state: NonNullable<S>): this {
    this.plan.state = { value: state };
    return this;
  }

  publish<E extends EventContract>(event: E, data: DataOf<E>, options: PublishOptions = {}): this {
    if (event?.kind !== 'event') throw this.misuse('publish(event, data): expected an event contract');
    this.plan.events.push({ event, data, options });
    return this;
  }

  send<C extends CommandContract>(command: C, input: InputOf<C>, options: { undo?: SagaUndo } = {}): this {
    this.checkCommand(command, 'send');
    checked(command.input, input, `saga '${this.saga}': send(${command.name}) input`);
    const undoAction = options.undo ? this.checkUndo(options.undo) : undefined;
    this.plan.sends.push({ command, input, ...(undoAction ? { undo: undoAction } : {}) });
    return this;
  }

  compensateWith(action: SagaUndo): this {
    this.plan.undos.push(this.checkUndo(action));
    return this;
  }

  schedule(name: string, delayMs: number): this {
    if (!this.timeouts.has(name))
      throw this.misuse(`schedule('${name}'): no onTimeout('${name}', ...) is declared for this saga`);
    if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS)
      throw this.misuse(`schedule('${name}', ${delayMs}): the delay is milliseconds from 0 to 365 days`);
    this.plan.cancel.delete(name);
    this.plan.schedule.set(name, delayMs);
    return this;
  }

  cancel(name: string): this {
    this.plan.schedule.delete(name);
    this.plan.cancel.add(name);
    return this;
  }

  complete(): this {
    this.plan.complete = true;
    return this;
  }

  compensate(reason: string): this {
    this.plan.compensate = String(reason);
    return this;
  }

  private checkUndo(undoSpec: SagaUndo): SagaAction {
    if (!undoSpec || typeof undoSpec !== 'object' || !('action' in undoSpec))
      throw this.misuse('an undo is built with undo.command(Command, input) or undo.event(Event, data)');
    const { action, contract } = undoSpec;
    if (action.kind === 'command') {
      this.checkCommand(contract as CommandContract, 'undo.command');
      checked((contract as CommandContract).input, action.input, `saga '${this.saga}': undo ${action.name} input`);
    } else {
      checked((contract as EventContract).data, action.data, `saga '${this.saga}': undo ${action.name} data`);
    }
    return action;
  }

  private checkCommand(command: CommandContract, where: string): void {
    if (command?.kind !== 'command') throw this.misuse(`${where}(command, input): expected a command contract`);
    if (!this.commands.has(command.name))
      throw this.misuse(
        `${where}(${command.name}): the saga does not declare this command; add it to saga('${this.saga}', { sends: [...] }) or declare onReply(${command.name}, ...)`,
      );
  }

  private misuse(message: string): RegistrationError {
    return new RegistrationError(`saga '${this.saga}', step for ${this.meta.name}: ${message}`);
  }
}

/**
 * Throws a ValidationError naming `where` unless `value` matches. The value itself is kept
 * (not the parsed one): it is what the command's caller would pass, stored as JSON.
 */
function checked(schema: CommandContract['input'], value: unknown, where: string): void {
  const result = safeParse(schema, value);
  if (result instanceof Promise) throw new RegistrationError(`${where}: async schemas are not supported in saga steps`);
  if (!result.success)
    throw new ValidationError(`${where} does not match the contract`, {
      details: { issues: result.error.issues.slice(0, 20) },
    });
}
