/**
 * The replay seams: where past events are read from (an event history) and how they reach
 * one consumer group alone (group delivery). `replay()` joins the two.
 */
import type { OutgoingMessage } from '../transport/broker.js';

/** An event as it was published, read back from history. */
export interface PastEvent {
  /** The CloudEvents id it was published with; the target group's inbox deduplicates on it. */
  id: string;
  message: OutgoingMessage;
  /** When it was written (outbox row) or appended (Kafka record timestamp), in ms since the epoch. */
  time: number;
}

/** Which past events to read: by type, in a time window. */
export interface HistoryQuery {
  /** CloudEvents types (`ce-type`) to read; an event of another type is left out. */
  types: readonly string[];
  /**
   * Where those types are published: Kafka topics, AMQP routing keys (an event contract's
   * `topic`, its name unless it overrides it). A history that keeps every topic in one place
   * (the outbox) may ignore it.
   */
  topics: readonly string[];
  /** Inclusive, ms since the epoch. */
  since: number;
  /** Exclusive, ms since the epoch. */
  until: number;
}

/**
 * Past events, read in order per key. The outbox's retained published rows are one
 * (`outboxHistoryOf(store.outbox)`); a Kafka topic is another (`transport.history`).
 */
export interface EventHistory {
  /** What it reads from, for messages: `outbox`, `kafka topic orders.placed`. */
  readonly name: string;
  /** How many events match, without reading them (a dry run, a progress bar's total). */
  count(query: HistoryQuery): Promise<number>;
  /** The matching events in batches of at most `batchSize`, in order per key. */
  read(query: HistoryQuery, batchSize: number): AsyncIterable<PastEvent[]>;
  /** The oldest time it still holds events from, if it can tell (what retention left). */
  oldest?(query: HistoryQuery): Promise<number | undefined>;
}

/** Delivers past events to one consumer group only, as first attempts with their ids unchanged. */
export interface GroupDelivery {
  /**
   * Resolves once the broker holds every event for `group` (confirmed), in the order given;
   * rejects with a ConfigError when the broker has no such group (it never subscribed).
   */
  deliverTo(group: string, events: readonly PastEvent[]): Promise<void>;
}

/** The outbox's history when it keeps published rows (the SQL and memory outboxes do). */
export function outboxHistoryOf(outbox: unknown): EventHistory | undefined {
  const candidate = outbox as { history?: EventHistory } | undefined;
  return candidate?.history && typeof candidate.history.read === 'function' ? candidate.history : undefined;
}
