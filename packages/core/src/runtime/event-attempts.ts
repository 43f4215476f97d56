import type { Attributes } from '@opentelemetry/api';
import type { ConsumerActivity } from '../activity/consumer-activity.js';
import { AbortedError, isTandemError, ShuttingDownError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import type { DecodedEvent } from '../messages/envelope.js';
import { runtimeInstruments } from '../metrics/runtime-metrics.js';
import { decideRetry, type RetryPolicy } from '../retry/retry-policy.js';
import type { ProcessSpan } from '../tracing/messaging-spans.js';
import { logTraceFields } from '../tracing/log-fields.js';
import { recordSpanError } from '../tracing/span-errors.js';
import type { Disposition, DispositionCallback, IncomingMessage } from '../transport/broker.js';
import type { HandlerMeta } from './handler-context.js';
import { withReplayHint } from './replay-hint.js';
import type { Runtime } from './runtime.js';
import type { HandlerRegistration } from './service.js';
import type { InvokeReply } from './sync-host.js';

/** Every acked delivery's disposition: one object, not one per message. */
export const ACK: Disposition = { kind: 'ack' };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What the deliveries of one consumer group share. */
export interface AttemptScope {
  readonly runtime: Runtime;
  readonly group: string;
  readonly log: Logger;
  readonly groupAttributes: Attributes;
  readonly activity: ConsumerActivity | undefined;
  /** Ends the delivery's span (and counts a dead letter); answers the disposition given. */
  settled(message: IncomingMessage, process: ProcessSpan, disposition: Disposition): Disposition;
}

/**
 * The attempts of one delivery at its handler: the first, the policy's immediate retries,
 * then a hand-back with a backoff delay or a dead letter. The runtime answers each attempt
 * through this object's resolve/reject (Runtime.runEvent), so a delivery needs no promise of
 * its own and no async frame: the handler's settling reaches `done` in the same reaction.
 */
export class EventAttempts implements InvokeReply {
  private watchedAt = -1;

  constructor(
    private readonly scope: AttemptScope,
    private readonly message: IncomingMessage,
    private readonly event: DecodedEvent,
    private readonly reg: HandlerRegistration,
    private readonly policy: RetryPolicy,
    private readonly process: ProcessSpan,
    private readonly about: NonNullable<HandlerMeta['event']>,
    private attempt: number,
    private readonly done: DispositionCallback,
  ) {}

  /** Runs the current attempt; its outcome comes back to resolve or reject. */
  start(): void {
    const event = this.event;
    const meta: Mutable<HandlerMeta> = {
      kind: 'event',
      name: this.reg.contract.name,
      service: this.reg.service,
      messageId: event.id,
      attempt: this.attempt,
      correlationId: event.correlationId ?? event.id,
      event: this.about,
      headers: this.message.headers,
    };
    if (event.causationId !== undefined) meta.causationId = event.causationId;
    const activity = this.scope.activity;
    this.watchedAt = activity?.sink.listening ? performance.now() : -1;
    try {
      this.scope.runtime.runEvent(this.reg, event.data, meta, this.message, this.process.context, this);
    } catch (error) {
      this.reject(error);
    }
  }

  resolve(): void {
    try {
      if (this.watchedAt >= 0)
        this.scope.activity?.run(this.reg, this.message, this.process.span, this.watchedAt, 'ok');
    } catch (error) {
      this.done(undefined, error);
      return;
    }
    this.end(ACK);
  }

  reject(error: unknown): void {
    let disposition: Disposition | undefined;
    try {
      disposition = this.failed(error);
    } catch (fault) {
      this.done(undefined, fault);
      return;
    }
    if (disposition === undefined) this.start();
    else this.end(disposition);
  }

  /** The disposition of a failed attempt; undefined when it is retried at once. */
  private failed(error: unknown): Disposition | undefined {
    const { scope, message, event, reg, process, attempt, watchedAt } = this;
    const activity = scope.activity;
    recordSpanError(process.span, error);
    // Stopped by this app's shutdown, not by the message: hand it back for another
    // consumer (or this one after a restart), and do not count it as an attempt.
    if (error instanceof AbortedError || error instanceof ShuttingDownError) {
      scope.log.info({ id: event.id, type: event.type, attempt }, 'event handler stopped by shutdown; handing it back');
      if (watchedAt >= 0) activity?.run(reg, message, process.span, watchedAt, 'retry', error);
      return { kind: 'retry', delayMs: 0, attempt };
    }
    const decision = decideRetry(this.policy, attempt, error);
    const fields = {
      err: error,
      id: event.id,
      type: event.type,
      attempt,
      handler: reg.handlerName,
      ...logTraceFields(process.context),
    };
    if (decision.kind !== 'give-up') {
      runtimeInstruments().consumerRetries.add(1, {
        ...scope.groupAttributes,
        'tandem.handler.name': reg.contract.name,
        'tandem.retry.kind': decision.kind,
      });
    }
    if (watchedAt >= 0 && activity?.sink.listening) {
      activity.run(reg, message, process.span, watchedAt, decision.kind === 'give-up' ? 'dead-letter' : 'retry', error);
      if (decision.kind !== 'give-up')
        activity.retry(
          message,
          process.span,
          attempt,
          decision.kind,
          decision.kind === 'delayed' ? decision.delayMs : 0,
        );
    }
    if (decision.kind === 'immediate') {
      scope.log.warn(fields, 'event handler failed; retrying at once');
      this.attempt = attempt + 1;
      return undefined;
    }
    if (decision.kind === 'delayed') {
      scope.log.warn({ ...fields, delayMs: decision.delayMs }, 'event handler failed; retrying later');
      return { kind: 'retry', delayMs: decision.delayMs, attempt: attempt + 1 };
    }
    const kept = withReplayHint(error, scope.group, event.id);
    scope.log.error({ ...fields, err: kept }, `event handler failed; dead-lettered (${decision.reason})`);
    const reason =
      decision.reason === 'non-retryable' && isTandemError(error)
        ? `${decision.reason}: ${error.code}`
        : decision.reason;
    return { kind: 'dead-letter', reason, error: kept, attempts: attempt };
  }

  private end(disposition: Disposition): void {
    let settled: Disposition;
    try {
      settled = this.scope.settled(this.message, this.process, disposition);
    } catch (error) {
      this.done(undefined, error);
      return;
    }
    this.done(settled);
  }
}
