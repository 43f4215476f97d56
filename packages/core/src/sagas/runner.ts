/**
 * One step of one saga instance, run inside the event handler run of the message that
 * drove it: load the instance (locking it to the run's transaction), decide what the
 * message means for it, run the user's step, carry out the step's plan, save the instance
 * with a version check. Everything the step does (its events, its commands, the new state,
 * the inbox record of the message) commits in that one transaction, or none of it does.
 */
import { RegistrationError, SagaConflictError, SagaNotStartedError } from '../errors/errors.js';
import type { HandlerContext } from '../runtime/handler-context.js';
import type { SagaBinding } from './compile.js';
import type { SagaHandlerSpec, SagaModel, SagaReply } from './define.js';
import { compensationEffects, startCompensation, type SagaEffects } from './compensation.js';
import type { SagaReplyData, SagaTimeoutData } from './messages.js';
import { recordSagaTransition } from './metrics.js';
import { endedSagaStatuses, MAX_SAGA_HISTORY, type SagaInstance, type SagaStatus } from './saga-store.js';
import { applyPlan } from './apply.js';
import { SagaStepImpl } from './step.js';

/** What drove a step. */
export type SagaInput =
  | { kind: 'event'; spec: Extract<SagaHandlerSpec, { kind: 'event' }>; data: unknown }
  | { kind: 'reply'; data: SagaReplyData }
  | { kind: 'timeout'; data: SagaTimeoutData };

/** Longest correlation key: it is a primary key column and a message key. */
const MAX_ID_LENGTH = 256;

export async function runSagaStep(
  model: SagaModel,
  binding: SagaBinding,
  input: SagaInput,
  ctx: HandlerContext,
): Promise<void> {
  const sagas = binding.sagas();
  const id = idOf(model, input);
  const loaded = await sagas.load(ctx.tx, model.name, id);
  const now = Date.now();
  let instance = loaded;
  if (!instance) {
    if (input.kind === 'event' && input.spec.starts) instance = fresh(model.name, id, now, ctx.meta.correlationId);
    else if (input.kind === 'event' && input.spec.whenMissing === 'ignore') {
      ctx.log.info({ saga: model.name, id, type: ctx.meta.name }, 'saga: no instance for this event; ignored');
      return;
    } else if (input.kind === 'event') {
      throw new SagaNotStartedError(
        `saga '${model.name}' has no instance '${id}' for ${ctx.meta.name}: it may have overtaken the event that starts it, so it is retried`,
      );
    } else {
      // Its instance ended and was purged after the retention period: nothing is left to change.
      ctx.log.warn(
        { saga: model.name, id, type: ctx.meta.name },
        'saga: message for an instance that no longer exists',
      );
      return;
    }
  }
  const before: SagaStatus | undefined = loaded?.status;
  const effects: SagaEffects = { events: [], commands: [] };
  const note = await advance(model, instance, input, ctx, loaded === undefined, effects, now);
  if (instance.status === 'compensating') compensationEffects(model.name, instance, effects);
  for (const { event, data, options } of effects.events) await ctx.publish(event, data as never, options);
  const contracts = binding.contracts;
  // Keyed by the send, not the instance: a slow command must not hold up a compensation of the same instance.
  for (const command of effects.commands) await ctx.publish(contracts.command, command, { key: command.commandId });

  instance.dueAt = nextDue(instance);
  instance.data.history.push({
    at: now,
    input: labelOf(input, ctx),
    messageId: ctx.meta.messageId,
    status: instance.status,
    ...(note !== undefined ? { note } : {}),
  });
  if (instance.data.history.length > MAX_SAGA_HISTORY)
    instance.data.history.splice(0, instance.data.history.length - MAX_SAGA_HISTORY);
  const expected = loaded?.version ?? 0;
  instance.version = expected + 1;
  instance.updatedAt = now;
  if (!(await sagas.save(ctx.tx, instance, expected)))
    throw new SagaConflictError(
      `saga '${model.name}' instance '${id}' was changed by another step first; running again`,
    );
  if (before !== instance.status) recordSagaTransition(model.name, before, instance.status);
}

/** What the message does to the instance; a note when it changed nothing. */
async function advance(
  model: SagaModel,
  instance: SagaInstance,
  input: SagaInput,
  ctx: HandlerContext,
  created: boolean,
  effects: SagaEffects,
  now: number,
): Promise<string | undefined> {
  if (input.kind === 'reply') return reply(model, instance, input.data, ctx, effects, now);
  if (input.kind === 'event') {
    // A start for a running instance runs its step with the state so far: events that may
    // each come first (a reservation, a payment) can all be starts.
    if (instance.status !== 'running') return `ignored: the instance is ${instance.status}`;
    await runStep(model, instance, input.spec.step, input.data, ctx, created, effects, now);
    return undefined;
  }
  const timeout = instance.data.timeouts[input.data.name];
  if (!timeout || timeout.token !== input.data.token) return 'stale timeout: cancelled or scheduled again';
  delete instance.data.timeouts[input.data.name];
  if (instance.status !== 'running') return `timeout ignored: the instance is ${instance.status}`;
  const spec = model.specs.find((s) => s.kind === 'timeout' && s.name === input.data.name);
  if (!spec) return `no onTimeout('${input.data.name}') is declared`;
  await runStep(
    model,
    instance,
    spec.step,
    { name: input.data.name, dueAt: input.data.dueAt },
    ctx,
    false,
    effects,
    now,
  );
  return undefined;
}

async function reply(
  model: SagaModel,
  instance: SagaInstance,
  data: SagaReplyData,
  ctx: HandlerContext,
  effects: SagaEffects,
  now: number,
): Promise<string | undefined> {
  const pending = instance.data.pending[data.commandId];
  if (!pending) return `reply to ${data.command} that is not awaited (a duplicate)`;
  delete instance.data.pending[data.commandId];
  const outcome = data.ok ? 'succeeded' : `failed: ${data.error?.message ?? 'unknown error'}`;
  if (pending.compensation) {
    if (data.ok) return `compensation ${data.command} done`;
    instance.status = 'parked';
    instance.data.error = `compensation ${data.command} ${outcome}`;
    if (pending.action) instance.data.failed = pending.action;
    return instance.data.error;
  }
  // A command that took effect (or may have) is undone if the saga compensates, whenever its reply comes.
  const keepUndo = pending.undo !== undefined && (data.ok || data.error?.uncertain === true);
  if (instance.status !== 'running') {
    if (keepUndo && instance.status !== 'completed') {
      instance.data.compensations.push(pending.undo!);
      if (instance.status === 'compensated') instance.status = 'compensating';
      return `${data.command} ${outcome} after compensation began; its undo is run`;
    }
    return `${data.command} ${outcome}; the instance is ${instance.status}`;
  }
  if (keepUndo) instance.data.compensations.push(pending.undo!);
  const spec = model.specs.find((s) => s.kind === 'reply' && s.command.name === data.command);
  if (spec) {
    await runStep(model, instance, spec.step, replyOf(model, data), ctx, false, effects, now);
    return undefined;
  }
  // No step for this reply: a success changes nothing, a failure compensates.
  if (data.ok) return `${data.command} succeeded`;
  startCompensation(instance, `${data.command} ${outcome}`);
  return undefined;
}

async function runStep(
  model: SagaModel,
  instance: SagaInstance,
  fn: (message: unknown, step: never) => void | Promise<void>,
  message: unknown,
  ctx: HandlerContext,
  created: boolean,
  effects: SagaEffects,
  now: number,
): Promise<void> {
  const timeouts = new Set(model.specs.flatMap((s) => (s.kind === 'timeout' ? [s.name] : [])));
  const step = new SagaStepImpl(
    model.name,
    instance.id,
    instance.state,
    instance.status,
    ctx.tx,
    ctx.log,
    ctx.meta,
    model.commands,
    timeouts,
  );
  await fn(message, step as never);
  if (created && step.plan.state === undefined)
    throw new RegistrationError(
      `saga '${model.name}', step for ${ctx.meta.name}: a step that starts an instance must set its state (saga.set(...))`,
    );
  applyPlan(model, instance, step.plan, effects, now);
}

/** The reply as the step sees it: the output parsed with the command's own schema. */
function replyOf(model: SagaModel, data: SagaReplyData): SagaReply<never> {
  if (!data.ok)
    return { ok: false, error: data.error ?? { code: 'TANDEM_ERROR', message: 'unknown', uncertain: true } };
  const command = model.commands.get(data.command);
  const parsed = command ? command.output.safeParse(data.output) : undefined;
  return { ok: true, output: (parsed?.success ? parsed.data : data.output) as never };
}

function idOf(model: SagaModel, input: SagaInput): string {
  if (input.kind !== 'event') return input.data.id;
  const id = input.spec.correlate(input.data);
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH)
    throw new RegistrationError(
      `saga '${model.name}': the key taken from ${input.spec.event.name} must be a string of 1 to ${MAX_ID_LENGTH} characters, got ${typeof id === 'string' ? `${id.length} characters` : typeof id}`,
    );
  return id;
}

function labelOf(input: SagaInput, ctx: HandlerContext): string {
  if (input.kind === 'reply') return `reply:${input.data.command}`;
  if (input.kind === 'timeout') return `timeout:${input.data.name}`;
  return ctx.meta.name;
}

function fresh(saga: string, id: string, now: number, correlationId: string): SagaInstance {
  return {
    saga,
    id,
    version: 0,
    status: 'running',
    state: undefined,
    data: { timeouts: {}, compensations: [], pending: {}, history: [], correlationId },
    createdAt: now,
    updatedAt: now,
  };
}

/** The earliest timeout not yet fired; undefined when none (or once the instance ended). */
export function nextDue(instance: SagaInstance): number | undefined {
  if (endedSagaStatuses.includes(instance.status)) return undefined;
  let due: number | undefined;
  for (const timeout of Object.values(instance.data.timeouts))
    if (!timeout.fired && (due === undefined || timeout.dueAt < due)) due = timeout.dueAt;
  return due;
}
