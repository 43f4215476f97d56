import { ValidationError } from '../errors/errors.js';
import { uuidv7 } from '../messages/uuid.js';
import { safeParse } from '../middleware/validation.js';
import { startCompensation, type SagaEffects } from './compensation.js';
import type { SagaModel } from './define.js';
import type { SagaInstance } from './saga-store.js';
import type { StepPlan } from './step.js';

/**
 * Carries out what a user step planned, on the instance and into `effects` (sent by the
 * runner in the step's transaction). The new state is checked against the saga's schema
 * first: a step that sets a state the schema refuses fails as a whole.
 */
export function applyPlan(
  model: SagaModel,
  instance: SagaInstance,
  plan: StepPlan,
  effects: SagaEffects,
  now: number,
): void {
  if (plan.state !== undefined) {
    const parsed = safeParse(model.options.state, plan.state.value);
    if (parsed instanceof Promise)
      throw new ValidationError(`saga '${model.name}': its state schema must be synchronous (no async refinements)`);
    if (!parsed.success)
      throw new ValidationError(
        `saga '${model.name}' instance '${instance.id}': the new state does not match the saga's state schema`,
        {
          details: { issues: parsed.error.issues.slice(0, 20) },
        },
      );
    // Kept as JSON, as a database store would: the next step sees what a reload would give.
    instance.state = JSON.parse(JSON.stringify(parsed.data ?? null)) as unknown;
  }
  for (const event of plan.events) effects.events.push(event);
  for (const undo of plan.undos) instance.data.compensations.push(undo);
  for (const send of plan.sends) {
    const commandId = uuidv7();
    instance.data.pending[commandId] = { command: send.command.name, ...(send.undo ? { undo: send.undo } : {}) };
    effects.commands.push({
      saga: model.name,
      id: instance.id,
      commandId,
      command: send.command.name,
      input: send.input,
      inputVersion: send.command.version ?? 1,
    });
  }
  for (const name of plan.cancel) delete instance.data.timeouts[name];
  for (const [name, delayMs] of plan.schedule) instance.data.timeouts[name] = { dueAt: now + delayMs, token: uuidv7() };
  if (plan.compensate !== undefined) startCompensation(instance, plan.compensate);
  else if (plan.complete) {
    instance.status = 'completed';
    instance.data.timeouts = {};
    instance.data.compensations = [];
  }
}
