import { isTandemError } from '../errors/errors.js';
import { decodeEvent } from '../messages/envelope.js';
import { decideRetry, resolveRetryPolicy, type RetryPolicy } from '../retry/retry-policy.js';
import type { Disposition, IncomingMessage, MessageHandler } from '../transport/broker.js';
import type { HandlerMeta } from './handler-context.js';
import type { EventGroup } from './registry.js';
import type { Runtime } from './runtime.js';
import type { HandlerRegistration } from './service.js';

/**
 * Turns a consumed message into a Disposition: the one place where ack, retry and
 * dead-letter are decided, for every broker. Malformed messages and non-retryable errors
 * go to dead-letter at once; retryable ones are retried in process for the policy's
 * immediate retries, then handed back to the broker with a backoff delay.
 */
export function createMessageHandler(
  runtime: Runtime,
  group: EventGroup,
  appRetry: Partial<RetryPolicy> | undefined,
): MessageHandler {
  const policies = new Map<HandlerRegistration, RetryPolicy>();
  for (const reg of group.handlers.values()) policies.set(reg, resolveRetryPolicy(appRetry, reg.options.retry));
  const log = runtime.deps.log.child({ group: group.name });

  return async (message: IncomingMessage): Promise<Disposition> => {
    let event;
    try {
      event = decodeEvent(message);
    } catch (error) {
      log.error({ err: error, topic: message.origin.topic }, 'dead-lettering a malformed message');
      return { kind: 'dead-letter', reason: 'malformed', error, attempts: message.attempt };
    }
    const reg = group.handlers.get(event.type);
    if (!reg) {
      log.debug({ type: event.type, id: event.id }, 'no handler for this event type in the group; acked');
      return { kind: 'ack' };
    }
    const policy = policies.get(reg)!;
    for (let attempt = message.attempt; ; attempt++) {
      const meta: HandlerMeta = {
        kind: 'event',
        name: reg.contract.name,
        service: reg.service,
        messageId: event.id,
        attempt,
        correlationId: event.correlationId ?? event.id,
        ...(event.causationId !== undefined ? { causationId: event.causationId } : {}),
        event: {
          source: event.source,
          ...(event.time ? { time: event.time } : {}),
          ...(event.subject ? { subject: event.subject } : {}),
        },
        headers: message.headers,
      };
      try {
        await runtime.run(reg, event.data, meta, { message });
        return { kind: 'ack' };
      } catch (error) {
        const decision = decideRetry(policy, attempt, error);
        const fields = { err: error, id: event.id, type: event.type, attempt, handler: reg.handlerName };
        if (decision.kind === 'immediate') {
          log.warn(fields, 'event handler failed; retrying at once');
          continue;
        }
        if (decision.kind === 'delayed') {
          log.warn({ ...fields, delayMs: decision.delayMs }, 'event handler failed; retrying later');
          return { kind: 'retry', delayMs: decision.delayMs, attempt: attempt + 1 };
        }
        log.error(fields, `event handler failed; dead-lettered (${decision.reason})`);
        const reason =
          decision.reason === 'non-retryable' && isTandemError(error)
            ? `${decision.reason}: ${error.code}`
            : decision.reason;
        return { kind: 'dead-letter', reason, error, attempts: attempt };
      }
    }
  };
}
