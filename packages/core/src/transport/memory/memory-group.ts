import { Header } from '../../messages/headers.js';
import type { DeadLetter, Disposition, IncomingMessage, MessageHandler } from '../broker.js';
import { deadLetterHeaders, readDeadLetter } from '../dead-letter.js';

/** One subscriber of a group: its handler, how many it may run at once, and what it runs. */
export interface MemoryConsumer {
  handle: MessageHandler;
  concurrency: number;
  inFlight: Set<IncomingMessage>;
  /** Closing: takes no new messages. */
  draining: boolean;
  /** Crashed: its outcomes are ignored and its in-flight messages were requeued. */
  dead: boolean;
  /** Running a message whose earlier delivery never settled, alone (see `pump`). */
  isolating?: boolean;
  drained?: () => void;
}

/**
 * A consumer group on the in-process broker: a queue per key (so one key is never in
 * flight twice across the group's consumers), competing consumers served round-robin,
 * timers for delayed retries, and the group's dead letters.
 */
export class MemoryGroup {
  readonly topics = new Set<string>();
  readonly deadLetters: DeadLetter[] = [];
  private readonly queues = new Map<string, IncomingMessage[]>();
  private readonly ready: string[] = [];
  private readonly busyKeys = new Set<string>();
  private readonly consumers: MemoryConsumer[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextConsumer = 0;

  constructor(readonly name: string) {}

  /** Messages waiting for a consumer (in flight ones not counted). */
  get waiting(): number {
    let n = 0;
    for (const queue of this.queues.values()) n += queue.length;
    return n;
  }

  enqueue(message: IncomingMessage, front = false): void {
    const key = keyOf(message);
    const queue = this.queues.get(key);
    if (queue) {
      if (front) queue.unshift(message);
      else queue.push(message);
      return;
    }
    this.queues.set(key, [message]);
    if (!this.busyKeys.has(key)) this.ready.push(key);
    this.pump();
  }

  attach(consumer: MemoryConsumer): void {
    this.consumers.push(consumer);
    this.pump();
  }

  /** Graceful: no new messages, wait for in-flight ones to settle, then detach. */
  async detach(consumer: MemoryConsumer): Promise<void> {
    consumer.draining = true;
    if (consumer.inFlight.size > 0) await new Promise<void>((resolve) => (consumer.drained = resolve));
    this.remove(consumer);
  }

  /** A crash: in-flight messages go back to the front of their keys, outcomes ignored. */
  kill(consumer: MemoryConsumer): void {
    consumer.dead = true;
    consumer.draining = true;
    const requeue = [...consumer.inFlight];
    consumer.inFlight.clear();
    for (const message of requeue) {
      const key = keyOf(message);
      this.busyKeys.delete(key);
      const hadQueue = this.queues.has(key);
      // The broker counts the delivery that ended with no outcome, as RabbitMQ's quorum queues do.
      this.enqueue({ ...message, deliveryCount: (message.deliveryCount ?? 1) + 1 }, true);
      // With a queue already there, enqueue did not mark the key ready: its head was blocked
      // behind the message that was in flight.
      if (hadQueue) this.ready.push(key);
    }
    this.remove(consumer);
    this.pump();
  }

  stopTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private remove(consumer: MemoryConsumer): void {
    const index = this.consumers.indexOf(consumer);
    if (index >= 0) this.consumers.splice(index, 1);
  }

  private pickConsumer(alone: boolean): MemoryConsumer | undefined {
    for (let i = 0; i < this.consumers.length; i++) {
      const consumer = this.consumers[(this.nextConsumer + i) % this.consumers.length]!;
      if (consumer.draining || consumer.isolating) continue;
      if (alone ? consumer.inFlight.size === 0 : consumer.inFlight.size < consumer.concurrency) {
        this.nextConsumer = (this.nextConsumer + i + 1) % this.consumers.length;
        return consumer;
      }
    }
    return undefined;
  }

  /**
   * Hands ready messages to consumers. A message whose earlier delivery never settled (its
   * consumer crashed while holding it) runs alone on its consumer: when a consumer dies with
   * several messages in flight, the broker cannot tell which one took it down, so each runs
   * by itself next time and only the one that crashes again is counted again.
   */
  private pump(): void {
    while (this.ready.length > 0) {
      const key = this.ready[0]!;
      const queue = this.queues.get(key);
      const head = queue?.[0];
      if (!queue || !head) {
        this.ready.shift();
        continue;
      }
      const alone = (head.deliveryCount ?? 1) > 1;
      const consumer = this.pickConsumer(alone);
      if (!consumer) return;
      this.ready.shift();
      queue.shift();
      if (queue.length === 0) this.queues.delete(key);
      this.busyKeys.add(key);
      consumer.inFlight.add(head);
      if (alone) consumer.isolating = true;
      void this.deliver(consumer, head, key);
    }
  }

  private async deliver(consumer: MemoryConsumer, message: IncomingMessage, key: string): Promise<void> {
    let disposition: Disposition;
    try {
      disposition = await consumer.handle({ ...message, receivedAt: Date.now() });
    } catch {
      // The runtime always answers with a disposition; a throw here is a transport-level
      // fault, handled like a crash of that one delivery: the message is delivered again.
      disposition = { kind: 'retry', delayMs: 100, attempt: message.attempt };
    }
    if (consumer.dead) return;
    consumer.inFlight.delete(message);
    consumer.isolating = false;
    this.busyKeys.delete(key);
    this.settle(message, disposition);
    if (this.queues.has(key)) this.ready.push(key);
    if (consumer.draining && consumer.inFlight.size === 0) consumer.drained?.();
    this.pump();
  }

  private settle(message: IncomingMessage, disposition: Disposition): void {
    if (disposition.kind === 'ack') return;
    if (disposition.kind === 'retry') {
      const again: IncomingMessage = {
        ...message,
        attempt: disposition.attempt,
        deliveryCount: 1,
        headers: { ...message.headers, [Header.attempt]: String(disposition.attempt) },
      };
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.enqueue(again);
      }, disposition.delayMs);
      timer.unref();
      this.timers.add(timer);
      return;
    }
    const headers = deadLetterHeaders(message, this.name, disposition);
    this.deadLetters.push(
      readDeadLetter(
        {
          topic: message.topic,
          ...(message.key !== undefined ? { key: message.key } : {}),
          headers,
          body: message.body,
        },
        this.name,
      ),
    );
  }
}

function keyOf(message: IncomingMessage): string {
  return message.key ?? `\u0000${message.id}`;
}
