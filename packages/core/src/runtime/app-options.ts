import type { RelayOptions } from '../outbox/relay.js';
import type { Middleware } from '../middleware/compose.js';
import type { ValidationLimits } from '../middleware/validation-limits.js';
import type { RetryPolicy } from '../retry/retry-policy.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport } from '../transport/broker.js';
import type { ServiceInput } from '../decorators/decorators.js';
import type { Logger } from '../log/logger.js';
import type { CallTransport } from './call-transport.js';
import type { IdempotencyOptions } from './idempotency.js';
import type { Invocation } from './invocation.js';
import type { SyncServer } from './sync-host.js';
import type { SagaClockOptions } from '../sagas/clock.js';

/** What createApp() takes: services, broker, store, `http` server, `clients`, retry policy, logger. */
export interface AppOptions {
  /** Decorated classes or instances, or `service(...)` definitions. */
  services?: ServiceInput[];
  /** The event broker; the in-process broker by default. */
  broker?: BrokerTransport;
  /** Outbox, inbox and idempotency records; without one, events are sent after the handler succeeds. */
  store?: Store;
  /** The outbox relay this app runs when its store has an outbox; false runs none (another process relays). */
  relay?: RelayOptions | false;
  /** Serves commands and queries, e.g. httpServer({ port: 3000 }) from @tandem/transport-http. */
  http?: SyncServer;
  /** Carries `ctx.call` to services this app does not serve, e.g. httpClient(...). */
  clients?: CallTransport;
  /** Middleware around every handler, outermost first. */
  middleware?: Middleware<Invocation>[];
  /** App-wide retry defaults for event handlers. */
  retry?: Partial<RetryPolicy>;
  /**
   * How many deliveries of one message may end with no outcome (its consumer crashed, exited
   * or lost its connection while handling it) before the next delivery is dead-lettered with
   * reason `crash-loop` instead of run. Counted by the broker where it can (see
   * IncomingMessage.deliveryCount). Default 3.
   */
  crashLoopLimit?: number;
  /**
   * Events on a subscribed topic whose type no handler of the group takes are acked and
   * counted (`tandem.consumer.unknown_types`); each such type is logged at most once per
   * this many milliseconds per group. Default 60 s.
   */
  unknownTypeLogIntervalMs?: number;
  logger?: Logger;
  /** Validate what sync handlers return; on unless NODE_ENV is 'production'. */
  checkOutput?: boolean;
  /**
   * How long stop() waits for in-flight work before aborting it (aborted runs roll back and
   * publish nothing). stop() returns within about twice this (at most this plus 5 s for the
   * outbox relay to send what was committed), whatever the handlers do. Default 10 s.
   */
  shutdownTimeoutMs?: number;
  /**
   * Default concurrency per consumer group. Default 16. A group whose handlers all declare
   * their own `concurrency` runs at most their sum; each handler never runs more than it declared.
   */
  concurrency?: number;
  /** Idempotency keys of commands (`Idempotency-Key` over HTTP, `idempotencyKey` in process): where records live and how long. */
  idempotency?: IdempotencyOptions;
  /**
   * What a failed validation may cost and answer: issues listed, their bytes, and the input
   * size up to which every issue is counted. Defaults 20 issues, 16 KiB, 2,000 values.
   */
  validation?: ValidationLimits;
  /**
   * The clock that sends sagas' due timeouts, run by an app that has sagas; false runs none
   * (another instance's clock sends them: any one is enough, several share the work).
   */
  sagaClock?: SagaClockOptions | false;
  /** Name of the implicit service that app.command()/query()/onEvent() add to. Default 'app'. */
  name?: string;
}
