/**
 * Events on a subscribed topic whose type no handler of the group takes.
 *
 * They are acked, not dead-lettered: a topic is often shared, and another service's event
 * type on it is normal, not a fault of the message. Acking is also what keeps such events
 * from piling up in a queue or holding up a partition. They are still counted (the
 * `tandem.consumer.unknown_types` metric, per group and topic) and logged, so a contract
 * renamed on one side or a handler removed too early shows up: one line per type per
 * interval, with how many went unlogged since, never a line per message under a flood.
 */
import type { Attributes } from '@opentelemetry/api';
import type { Logger } from '../log/logger.js';
import { clip } from '../messages/media-type.js';
import { runtimeInstruments } from '../metrics/runtime-metrics.js';

/** How often each unknown event type is logged at most, per consumer group. */
export const DEFAULT_UNKNOWN_TYPE_LOG_INTERVAL_MS = 60_000;
/**
 * Most distinct types remembered within an interval: a producer chooses the types, so the
 * memory for them is bounded. Past it, new types share one line per interval.
 */
const MAX_TRACKED_TYPES = 256;
/** Types are producer text: logged and remembered by at most this many characters. */
const MAX_TYPE_LENGTH = 200;

interface Seen {
  loggedAt: number;
  unlogged: number;
}

export class UnknownTypes {
  private readonly seen = new Map<string, Seen>();
  private readonly others: Seen = { loggedAt: -Infinity, unlogged: 0 };

  constructor(
    private readonly log: Logger,
    private readonly attributes: Attributes,
    private readonly intervalMs: number = DEFAULT_UNKNOWN_TYPE_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one acked event of a type the group has no handler for, and logs it when its type is due. */
  report(event: { type: string; id: string }, topic: string): void {
    runtimeInstruments().unknownTypes.add(1, { ...this.attributes, 'messaging.destination.name': topic });
    const now = this.now();
    const type = clip(event.type, MAX_TYPE_LENGTH);
    let seen = this.seen.get(type);
    if (seen === undefined && this.seen.size >= MAX_TRACKED_TYPES) {
      this.forgetExpired(now);
      if (this.seen.size >= MAX_TRACKED_TYPES) {
        this.reportOther(now, topic);
        return;
      }
    }
    if (seen !== undefined && now - seen.loggedAt < this.intervalMs) {
      seen.unlogged++;
      return;
    }
    this.log.info(
      { type, id: clip(event.id, MAX_TYPE_LENGTH), topic, unlogged: seen?.unlogged ?? 0, intervalMs: this.intervalMs },
      `no handler for event type '${type}' in this group; acked (another service's event on a shared topic is normal; logged once per type per ${this.intervalMs / 1000} s)`,
    );
    seen ??= { loggedAt: now, unlogged: 0 };
    seen.loggedAt = now;
    seen.unlogged = 0;
    this.seen.set(type, seen);
  }

  private forgetExpired(now: number): void {
    for (const [type, seen] of this.seen) {
      if (now - seen.loggedAt >= this.intervalMs) this.seen.delete(type);
    }
  }

  private reportOther(now: number, topic: string): void {
    if (now - this.others.loggedAt < this.intervalMs) {
      this.others.unlogged++;
      return;
    }
    this.log.info(
      { topic, unlogged: this.others.unlogged, tracked: MAX_TRACKED_TYPES, intervalMs: this.intervalMs },
      `events of more than ${MAX_TRACKED_TYPES} types without a handler in this group within ${this.intervalMs / 1000} s; acked, further types logged together`,
    );
    this.others.loggedAt = now;
    this.others.unlogged = 0;
  }
}
