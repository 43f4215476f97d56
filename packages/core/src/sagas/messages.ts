/**
 * The messages a saga sends itself, as event contracts on its own topics: commands for its
 * dispatcher, the replies the dispatcher sends back, and timeouts from the saga clock. They
 * travel like any event (outbox, inbox, retries, dead letters, traces), keyed by the
 * instance's id so that one instance's messages stay in order.
 */
import { z } from 'zod';
import { defineEvent, type EventContract } from '../contracts/contracts.js';

/** Event types of the saga messages; the same in every saga, told apart by topic. */
export const SagaMessageType = {
  command: 'tandem.saga.command',
  reply: 'tandem.saga.reply',
  timeout: 'tandem.saga.timeout',
} as const;

/** A command for the dispatcher to call on the instance's behalf. */
export const SagaCommandData = z.object({
  saga: z.string(),
  id: z.string(),
  /** Unique per send; the idempotency key of the call, and how the reply finds its send. */
  commandId: z.string(),
  command: z.string(),
  input: z.unknown(),
  /**
   * The version of the command's input that `input` was written at. A dispatcher deployed
   * with a newer contract upcasts it first; absent (messages made before it was recorded):
   * the dispatcher's current version.
   */
  inputVersion: z.number().int().positive().optional(),
  compensation: z.boolean().optional(),
});
export type SagaCommandData = z.infer<typeof SagaCommandData>;

/** The dispatcher's answer. */
export const SagaReplyData = z.object({
  saga: z.string(),
  id: z.string(),
  commandId: z.string(),
  command: z.string(),
  ok: z.boolean(),
  output: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string(), uncertain: z.boolean() }).optional(),
});
export type SagaReplyData = z.infer<typeof SagaReplyData>;

/** A timeout that came due. The token tells it from one cancelled or scheduled again since. */
export const SagaTimeoutData = z.object({
  saga: z.string(),
  id: z.string(),
  name: z.string(),
  token: z.string(),
  dueAt: z.number(),
});
export type SagaTimeoutData = z.infer<typeof SagaTimeoutData>;

/** A saga's own contracts. */
export interface SagaContracts {
  command: EventContract<typeof SagaMessageType.command, typeof SagaCommandData>;
  reply: EventContract<typeof SagaMessageType.reply, typeof SagaReplyData>;
  timeout: EventContract<typeof SagaMessageType.timeout, typeof SagaTimeoutData>;
}

/** The topic of a saga's replies and timeouts; its commands go to `<topic>.commands`. */
export function sagaTopic(saga: string): string {
  return `tandem.saga.${saga}`;
}

/** The consumer group of a saga's dispatcher. */
export function dispatcherGroup(saga: string): string {
  return `${saga}.commands`;
}

/** The contracts of saga `name`'s own messages. */
export function sagaContracts(saga: string): SagaContracts {
  const topic = sagaTopic(saga);
  return {
    command: defineEvent(SagaMessageType.command, {
      data: SagaCommandData,
      topic: `${topic}.commands`,
      service: saga,
      description: `A command saga '${saga}' sends; its dispatcher calls it and replies.`,
    }),
    reply: defineEvent(SagaMessageType.reply, {
      data: SagaReplyData,
      topic,
      service: saga,
      description: `The answer to a command saga '${saga}' sent.`,
    }),
    timeout: defineEvent(SagaMessageType.timeout, {
      data: SagaTimeoutData,
      topic,
      service: saga,
      description: `A timeout of saga '${saga}' that came due.`,
    }),
  };
}
