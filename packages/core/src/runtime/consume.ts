import { isTandemError, ValidationError } from '../errors/errors.js';
import { runtimeInstruments } from '../metrics/runtime-metrics.js';
import { dataschemaOf, decodeEvent, type DecodedEvent } from '../messages/envelope.js';
import { withReplayHint } from './replay-hint.js';
import { resolveRetryPolicy, type RetryPolicy } from '../retry/retry-policy.js';
import { endProcessSpan, startProcessSpan, type ProcessSpan } from '../tracing/messaging-spans.js';
import { logTraceFields } from '../tracing/log-fields.js';
import { recordSpanError } from '../tracing/span-errors.js';
import type { Disposition, DispositionCallback, IncomingMessage, MessageHandler } from '../transport/broker.js';
import { ACK, EventAttempts, type AttemptScope } from './event-attempts.js';
import type { HandlerMeta } from './handler-context.js';
import type { EventGroup } from './registry.js';
import { HandlerLimit } from './handler-limit.js';
import type { Runtime } from './runtime.js';
import type { HandlerRegistration } from './service.js';
import { DEFAULT_UNKNOWN_TYPE_LOG_INTERVAL_MS, UnknownTypes } from './unknown-types.js';
import { upcastToCurrent, versionOf } from './upcast.js';
import type { EventContract } from '../contracts/contracts.js';
import type { ActivitySink } from '../activity/activity.js';
import { ConsumerActivity } from '../activity/consumer-activity.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** An event type's handler in a consumer group, with what its deliveries need of it. */
interface Route {
  readonly reg: HandlerRegistration;
  /** Its contract's current `dataschema`, which nearly every delivery carries. */
  readonly dataschema: string;
  readonly policy: RetryPolicy;
  /** Its `concurrency` bound, when it has one. */
  readonly limit: HandlerLimit | undefined;
}

/** Deliveries of one message that may end with no disposition before it is dead-lettered as a crash loop. */
export const DEFAULT_CRASH_LOOP_LIMIT = 3;

/**
 * The attempt a delivery starts at. Transports read it from a header that a producer can
 * write too; the runtime bounds it to [1, attempts] so that no value can make a message
 * skip its retries or go to the dead-letter destination unrun, and anything that is not a
 * whole number counts as a first attempt.
 */
export function boundedAttempt(attempt: number, attempts: number = Number.MAX_SAFE_INTEGER): number {
  return Number.isSafeInteger(attempt) && attempt >= 1 ? Math.min(attempt, attempts) : 1;
}

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
  crashLoopLimit: number = DEFAULT_CRASH_LOOP_LIMIT,
  unknownTypeLogIntervalMs: number = DEFAULT_UNKNOWN_TYPE_LOG_INTERVAL_MS,
  activitySink?: ActivitySink,
): MessageHandler {
  // By event type: a delivery finds its handler, retry policy and limit with one lookup.
  const routes = new Map<string, Route>();
  for (const [type, reg] of group.handlers) {
    const concurrency = reg.options.concurrency;
    routes.set(type, {
      reg,
      dataschema: dataschemaOf(reg.contract as EventContract),
      policy: resolveRetryPolicy(appRetry, reg.options.retry),
      limit: concurrency === undefined ? undefined : new HandlerLimit(concurrency),
    });
  }
  const log = runtime.deps.log.child({ group: group.name });
  const system = runtime.deps.broker.name;
  const groupAttributes = { 'messaging.system': system, 'messaging.consumer.group.name': group.name };
  const unknownTypes = new UnknownTypes(log, groupAttributes, unknownTypeLogIntervalMs);
  const activity = activitySink ? new ConsumerActivity(activitySink, group.name) : undefined;

  const scope: AttemptScope = {
    runtime,
    group: group.name,
    log,
    groupAttributes,
    activity,
    settled,
  };

  // One CONSUMER `process` span per delivery, child of the producer's `send` span; the
  // handler runs inside it, so its events and calls continue the same trace.
  // A throw here comes before `done` was called: every path calls it last, and it must not throw.
  function deliverTo(message: IncomingMessage, done: DispositionCallback): void {
    try {
      deliver(message, startProcessSpan(message, system, group.name), done);
    } catch (error) {
      done(undefined, error);
    }
  }

  const handle = (message: IncomingMessage): Promise<Disposition> =>
    new Promise((resolve, reject) =>
      deliverTo(message, (disposition, error) => (disposition ? resolve(disposition) : reject(error))),
    );
  return Object.assign(handle, { deliver: deliverTo });

  /** Every delivery ends here, once, with its disposition: the span ends, a dead letter is counted. */
  function settled(message: IncomingMessage, process: ProcessSpan, disposition: Disposition): Disposition {
    endProcessSpan(process.span, disposition.kind);
    if (disposition.kind === 'dead-letter') {
      runtimeInstruments().deadLetters.add(1, {
        ...groupAttributes,
        'messaging.destination.name': message.origin.topic,
        'tandem.dead_letter.reason': disposition.reason,
      });
      if (activity?.sink.listening) activity.deadLettered(message, process.span, disposition);
    }
    return disposition;
  }

  /** Settles a delivery decided without running its handler. */
  function end(
    message: IncomingMessage,
    process: ProcessSpan,
    disposition: Disposition,
    done: DispositionCallback,
  ): void {
    let answer: Disposition;
    try {
      answer = settled(message, process, disposition);
    } catch (error) {
      done(undefined, error);
      return;
    }
    done(answer);
  }

  /**
   * Settles the delivery through `done`. The common delivery (current version, no handler
   * limit) reaches the runtime with no promise of its own.
   */
  function deliver(message: IncomingMessage, process: ProcessSpan, done: DispositionCallback): void {
    // Earlier deliveries of this copy ended with no disposition at all: each took its
    // consumer down (a crash, an exit, a lost connection) before it could settle. Running it
    // again would take this consumer down too, so it goes where a person can look at it.
    const unsettled = (message.deliveryCount ?? 1) - 1;
    if (unsettled >= crashLoopLimit) {
      log.error(
        {
          id: message.id,
          topic: message.origin.topic,
          deliveries: message.deliveryCount,
          ...logTraceFields(process.context),
        },
        `dead-lettering a message whose ${unsettled} earlier deliveries never settled (crash loop)`,
      );
      const attempts = boundedAttempt(message.attempt);
      return end(message, process, { kind: 'dead-letter', reason: 'crash-loop', attempts }, done);
    }
    let event;
    try {
      event = decodeEvent(message);
    } catch (error) {
      recordSpanError(process.span, error);
      log.error(
        { err: error, topic: message.origin.topic, ...logTraceFields(process.context) },
        'dead-lettering a malformed message',
      );
      const attempts = boundedAttempt(message.attempt);
      return end(message, process, { kind: 'dead-letter', reason: 'malformed', error, attempts }, done);
    }
    const route = routes.get(event.type);
    if (!route) {
      // Acked, not dead-lettered: see unknown-types.ts.
      unknownTypes.report(event, message.origin.topic);
      return end(message, process, ACK, done);
    }
    // Nearly every delivery is of the current version: no promise for those (one comparison).
    const contract = route.reg.contract as EventContract;
    const version = event.dataschema === route.dataschema ? contract.version : versionOf(contract, event.dataschema);
    if (version !== contract.version) {
      const current = event;
      toCurrentVersion(message, current, contract, version, process).then(
        (refused) => (refused ? end(message, process, refused, done) : run(message, current, route, process, done)),
        (error: unknown) => done(undefined, error),
      );
      return;
    }
    run(message, event, route, process, done);
  }

  function run(
    message: IncomingMessage,
    event: DecodedEvent,
    route: Route,
    process: ProcessSpan,
    done: DispositionCallback,
  ): void {
    const limit = route.limit;
    if (limit === undefined) attempts(message, event, route, process, done);
    else limited(limit, message, event, route, process, done);
  }

  function limited(
    limit: HandlerLimit,
    message: IncomingMessage,
    event: DecodedEvent,
    route: Route,
    process: ProcessSpan,
    done: DispositionCallback,
  ): void {
    const released: DispositionCallback = (disposition, error) => {
      limit.release();
      done(disposition, error);
    };
    const waiting = limit.acquire();
    if (waiting === undefined) attempts(message, event, route, process, released);
    else waiting.then(() => attempts(message, event, route, process, released));
  }

  /**
   * Replaces an older version's data with its upcast to the contract's current version;
   * returns the dead-letter disposition of a message this consumer cannot read (a version
   * it does not know, data invalid for its own version, an upcast that throws).
   */
  async function toCurrentVersion(
    message: IncomingMessage,
    event: DecodedEvent,
    contract: EventContract,
    version: number,
    process: ProcessSpan,
  ): Promise<Disposition | undefined> {
    const attempts = boundedAttempt(message.attempt);
    try {
      const result = await upcastToCurrent(contract, version, event.data);
      if (result.kind === 'current') {
        event.data = result.data;
        return undefined;
      }
      const error = new ValidationError(
        `${contract.name}: version ${result.seen} is not one this consumer reads (it reads ${result.known}); deploy a consumer whose contract knows version ${result.seen}, then replay the dead letter`,
      );
      recordSpanError(process.span, error);
      log.error(
        {
          id: event.id,
          type: event.type,
          version: result.seen,
          known: result.known,
          ...logTraceFields(process.context),
        },
        'dead-lettering an event of a version this consumer does not know',
      );
      return { kind: 'dead-letter', reason: 'unknown-version', error, attempts };
    } catch (error) {
      recordSpanError(process.span, error);
      const kept = withReplayHint(error, group.name, event.id);
      log.error(
        { err: kept, id: event.id, type: event.type, version, ...logTraceFields(process.context) },
        `dead-lettering an event of version ${version} that could not be upcast to version ${contract.version}`,
      );
      const reason = isTandemError(error) ? `non-retryable: ${error.code}` : 'upcast-failed';
      return { kind: 'dead-letter', reason, error: kept, attempts };
    }
  }

  function attempts(
    message: IncomingMessage,
    event: DecodedEvent,
    route: Route,
    process: ProcessSpan,
    done: DispositionCallback,
  ): void {
    const { reg, policy } = route;
    const first = boundedAttempt(message.attempt, policy.attempts);
    try {
      if (first === 1 && event.time !== undefined && runtimeInstruments().enabled) {
        const lag = (Date.now() - Date.parse(event.time)) / 1000;
        if (lag >= 0)
          runtimeInstruments().consumerLag.record(lag, {
            ...groupAttributes,
            'messaging.destination.name': message.origin.topic,
          });
      }
    } catch (error) {
      done(undefined, error);
      return;
    }
    // Assigned rather than spread: this runs for every delivery.
    const about: Mutable<NonNullable<HandlerMeta['event']>> = { source: event.source };
    if (event.time) about.time = event.time;
    if (event.subject) about.subject = event.subject;
    new EventAttempts(scope, message, event, reg, policy, process, about, first, done).start();
  }
}
