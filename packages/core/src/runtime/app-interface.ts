import type {
  CommandContract,
  DataOf,
  EventContract,
  InputOf,
  OutputOf,
  QueryContract,
  SyncContract,
} from '../contracts/contracts.js';
import type { AppModel } from '../docs/app-model.js';
import type { ActivitySource } from '../activity/activity.js';
import type { AppReplayOptions } from '../replay/app-replay.js';
import type { ReplayResult } from '../replay/replay.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport } from '../transport/broker.js';
import type { CallOptions, PublishOptions } from './handler-context.js';
import type { CommandHandler, EventHandler, EventHandlerOptions, HandlerOptions, QueryHandler } from './service.js';
import type { HealthReport, SyncEndpoint } from './sync-host.js';

/** Where an app is in its life: created, starting, running, stopping, stopped. */
export type AppState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

/** A running set of services: handlers, the broker, the store and the HTTP server, started and stopped together. */
export interface App {
  readonly state: AppState;
  readonly broker: BrokerTransport;
  readonly store: Store | undefined;
  readonly endpoints: readonly SyncEndpoint[];
  command<C extends CommandContract>(contract: C, fn: CommandHandler<C>, options?: HandlerOptions): this;
  query<C extends QueryContract>(contract: C, fn: QueryHandler<C>, options?: HandlerOptions): this;
  onEvent<E extends EventContract>(contract: E, fn: EventHandler<E>, options?: EventHandlerOptions): this;
  start(): Promise<void>;
  /** Graceful: new requests get 503, consumers and in-flight handlers drain, then everything closes. */
  stop(): Promise<void>;
  /** A typed call, in process when this app serves the contract, else through `clients`. */
  call<C extends SyncContract>(contract: C, input: InputOf<C>, options?: CallOptions): Promise<OutputOf<C>>;
  /** Publishes an event from outside any handler (a script, a scheduler). */
  publish<E extends EventContract>(
    event: E,
    data: DataOf<E>,
    options?: PublishOptions & { source?: string },
  ): Promise<void>;
  health(): Promise<HealthReport>;
  /**
   * Replays past events of some types to one consumer group, with their original ids (see
   * docs/evolution.md, Replay): from the broker's history on Kafka, else from the outbox's
   * retained published rows.
   */
  replay(options: AppReplayOptions): Promise<ReplayResult>;
  /**
   * What the app does, live: handler runs, published events, retries, dead letters,
   * breaker changes (see docs/console.md). A live view for whoever subscribes, at most once,
   * not a consumer group; nothing is built while nobody listens.
   */
  readonly activity: ActivitySource;
  /** Its services, sync operations, events with their publishers and consumer groups, and sagas (what `tandem docs` reads). */
  model(): AppModel;
}
