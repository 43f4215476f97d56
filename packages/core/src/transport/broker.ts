import type { EventHistory, PastEvent } from '../replay/history.js';

/**
 * The broker seam. A transport moves bytes and carries out dispositions; it never decides
 * between ack, retry and dead-letter: the runtime does that once, for every broker.
 */

/** A message to publish. CloudEvents attributes travel in `headers` (see messages/headers.ts). */
export interface OutgoingMessage {
  /** Kafka topic or AMQP routing key. */
  topic: string;
  /** Partition / ordering key: messages with one key are handled in publish order. */
  key?: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Where a message was read from: topic, and partition and offset (Kafka) or queue (AMQP). */
export interface MessageOrigin {
  topic: string;
  partition?: number;
  offset?: string;
  queue?: string;
}

/** A delivered message with its id, attempt and origin. */
export interface IncomingMessage extends OutgoingMessage {
  /** The CloudEvents id (`ce-id`); the inbox deduplicates on it. */
  id: string;
  /** 1 on first delivery; a transport raises it when it redelivers for a retry. */
  attempt: number;
  /**
   * How many times the broker has handed out this copy of the message, this delivery
   * included, where the broker counts them outside the consumer process (RabbitMQ's
   * `x-delivery-count`, a Kafka offset's attempt record). More than 1 means earlier
   * deliveries ended with no disposition: the consumer crashed or lost its connection.
   * Undefined where the transport cannot tell. The runtime dead-letters a message whose
   * count passes the app's `crashLoopLimit` with reason `crash-loop`.
   */
  deliveryCount?: number;
  receivedAt: number;
  origin: MessageOrigin;
}

/** What the runtime decided for a delivered message: ack, retry after a delay, or dead-letter. */
export type Disposition =
  | { kind: 'ack' }
  /** Deliver again to the same group, not before `delayMs`, carrying `attempt`. */
  | { kind: 'retry'; delayMs: number; attempt: number }
  /** Move to the group's dead-letter destination; `attempts` is how many were made. */
  | { kind: 'dead-letter'; reason: string; error?: unknown; attempts: number };

/** What to consume: topics, consumer group and concurrency. */
export interface SubscriptionSpec {
  topics: string[];
  /** Consumer group: every group gets every message; consumers in one group compete. */
  group: string;
  /** Most handler calls in flight at once for this subscription (keys run in order). */
  concurrency: number;
}

/** A running consumer. */
export interface Subscription {
  /** Resolves when the broker has assigned work to this consumer (Kafka: partitions). */
  readonly ready: Promise<void>;
  /** Stops intake, waits for in-flight handlers, settles what completed, then detaches. */
  close(): Promise<void>;
}

/**
 * How a MessageHandler's callback form answers, once: with the disposition, or (disposition
 * undefined) with the error of a fault in the handler plumbing itself, which the promise
 * form rejects with.
 */
export type DispositionCallback = (disposition: Disposition | undefined, error?: unknown) => void;

/** Handles one delivered message and says what to do with it. */
export interface MessageHandler {
  (message: IncomingMessage): Promise<Disposition>;
  /**
   * The same handling with the outcome handed to `done` (which must not throw), when the
   * handler offers it (the runtime's does): a transport that settles in a callback spares a
   * promise and a reaction per delivery.
   */
  readonly deliver?: (message: IncomingMessage, done: DispositionCallback) => void;
}

/** What a transport guarantees, for the runtime and for documentation. */
export interface TransportCapabilities {
  /** Messages with one key reach a group in publish order. */
  orderedByKey: boolean;
  /** Delayed retry is carried by the broker (not an in-process timer that a crash loses). */
  nativeDelay: boolean;
  /** Messages survive a broker or process restart. */
  persistent: boolean;
}

/** The broker seam every event transport implements (memory, RabbitMQ, Kafka). */
export interface BrokerTransport {
  /** 'memory' | 'kafka' | 'rabbitmq' | ... */
  readonly name: string;
  readonly capabilities: TransportCapabilities;
  connect(): Promise<void>;
  /** Resolves once the broker has confirmed every message; rejects with BrokerError otherwise. */
  publish(messages: OutgoingMessage[]): Promise<void>;
  subscribe(spec: SubscriptionSpec, handle: MessageHandler): Promise<Subscription>;
  /** Closes subscriptions (draining in-flight work), then the connection. */
  close(): Promise<void>;
  /** Dead letters of a group, to list and replay; every Tandem transport provides it. */
  readonly deadLetters?: DeadLetterAccess;
  /**
   * Delivers past events to one consumer group only, as first attempts with their ids
   * unchanged (what `tandem replay` sends); every Tandem transport provides it. Rejects
   * with a ConfigError when the broker has no such group.
   */
  deliverTo?(group: string, events: readonly PastEvent[]): Promise<void>;
  /** The broker's own history of published events, where it keeps one (a Kafka topic is a log). */
  readonly history?: EventHistory;
  /**
   * Messages waiting for a consumer group, not yet delivered (in-flight ones not counted),
   * where the broker can count them; the console's lag view reads it.
   */
  backlog?(group: string): Promise<number>;
  /** Connection state for readiness probes; absent means "ready once connected". */
  health?(): TransportHealth;
}

/** A transport's connection state for readiness probes. */
export interface TransportHealth {
  ok: boolean;
  detail?: string;
}

/** A message in a group's dead-letter destination, with why and when it got there. */
export interface DeadLetter {
  /** The original message id. */
  id: string;
  group: string;
  message: OutgoingMessage;
  reason: string;
  error?: string;
  attempts: number;
  deadLetteredAt: string;
  origin: MessageOrigin;
}

/** Lists and replays a group's dead letters; the `tandem dead-letters` CLI uses it. */
export interface DeadLetterAccess {
  /** The oldest dead letters of a group first, without removing them. */
  list(group: string, options?: { limit?: number }): Promise<DeadLetter[]>;
  /** Sends the chosen dead letters back to the group (attempt reset to 1) and removes them; returns how many. */
  replay(group: string, ids: string[]): Promise<number>;
  /**
   * Deletes the chosen dead letters for good; returns how many. Every Tandem transport offers
   * it (Kafka, which cannot delete a record, by a marker that listing and replay honour);
   * optional so that a broker that cannot remove one message from the middle offers none.
   */
  discard?(group: string, ids: string[]): Promise<number>;
}
