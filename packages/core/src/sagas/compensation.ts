/**
 * Compensation: the undo actions of completed steps, run newest first, one command at a
 * time (the next starts once the previous one's reply says it succeeded). Events among them
 * are published at once. A compensation command that still fails after the saga's retries
 * parks the instance for an operator (`tandem sagas retry`).
 */
import { z } from 'zod';
import type { EventContract } from '../contracts/contracts.js';
import { uuidv7 } from '../messages/uuid.js';
import type { PublishOptions } from '../runtime/handler-context.js';
import type { SagaCommandData } from './messages.js';
import type { SagaAction, SagaInstance } from './saga-store.js';

/** What a step sends once it commits: events (the user's and compensations) and commands for the dispatcher. */
export interface SagaEffects {
  events: Array<{ event: EventContract; data: unknown; options: PublishOptions }>;
  commands: SagaCommandData[];
}

/** Turns the instance to compensating; its timeouts are cancelled. */
export function startCompensation(instance: SagaInstance, reason: string): void {
  instance.status = 'compensating';
  instance.data.reason = reason;
  instance.data.timeouts = {};
}

/**
 * The next compensation actions of a compensating instance: every event up to the next
 * command, and that command, unless a compensation command is still awaited. With none
 * left, the instance is compensated.
 */
export function compensationEffects(saga: string, instance: SagaInstance, effects: SagaEffects): void {
  const awaited = Object.values(instance.data.pending).some((p) => p.compensation);
  if (awaited) return;
  for (;;) {
    const action = instance.data.compensations.pop();
    if (!action) {
      instance.status = 'compensated';
      return;
    }
    if (action.kind === 'event') {
      effects.events.push(compensationEvent(saga, action));
      continue;
    }
    const commandId = uuidv7();
    instance.data.pending[commandId] = { command: action.name, compensation: true, action };
    effects.commands.push({
      saga,
      id: instance.id,
      commandId,
      command: action.name,
      input: action.input,
      ...(action.inputVersion !== undefined ? { inputVersion: action.inputVersion } : {}),
      compensation: true,
    });
    return;
  }
}

/** A parked instance compensates again from the action that failed (an operator asked). */
export function resumeCompensation(instance: SagaInstance): void {
  if (instance.data.failed) instance.data.compensations.push(instance.data.failed);
  delete instance.data.failed;
  delete instance.data.error;
  instance.status = 'compensating';
}

function compensationEvent(saga: string, action: Extract<SagaAction, { kind: 'event' }>) {
  // The data was checked against the event's contract when the undo was declared.
  const event: EventContract = {
    kind: 'event',
    name: action.name,
    topic: action.topic,
    version: action.version,
    olderVersions: new Map(),
    service: saga,
    data: z.unknown(),
  };
  return { event, data: action.data, options: action.key !== undefined ? { key: action.key } : {} };
}
