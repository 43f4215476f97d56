/**
 * Acknowledges a channel's deliveries with as few frames as correctness allows. Handlers
 * finish out of delivery order (keys run concurrently), so a single `basic.ack` with
 * `multiple` may only cover the longest prefix of deliveries that are all settled; that
 * prefix is acked with one frame per tick. A consumer that acks each message separately
 * spends most of its CPU writing one small frame per message (a syscall each).
 *
 * Deliveries settled behind one still running are acked one by one in the same tick, so
 * a slow handler never holds back acks and, through the prefetch window, the flow of the
 * others. A requeue is sent at once. RabbitMQ refuses (closing the channel) a `multiple`
 * ack that names a delivery no longer outstanding, so the frame always names one that is.
 */
import type { Message } from 'amqplib';

/** The part of an amqplib channel this needs. */
export interface AckChannel {
  ack(message: Message, allUpTo?: boolean): void;
  nack(message: Message, allUpTo?: boolean, requeue?: boolean): void;
}

/** One delivery as the batcher tracks it: what `received` returns and `ack`/`requeue` take. */
export interface Delivery {
  readonly message: Message;
  /** 'acked': to be acked; 'done': acked or requeued on the wire. */
  state: 'pending' | 'acked' | 'done';
}

/** What a slot behind the head holds once its delivery is settled on the wire. */
const SETTLED: Delivery = { message: undefined as unknown as Message, state: 'done' };

export class AckBatcher {
  private order: Delivery[] = [];
  private head = 0;
  private scheduled = false;
  private closed = false;

  constructor(private readonly channel: AckChannel) {}

  /**
   * Records a delivery, in the order the broker sent it. The handle it returns is what the
   * delivery is settled by: no lookup per message, and a second settle of one delivery is
   * ignored.
   */
  received(message: Message): Delivery {
    const entry: Delivery = { message, state: 'pending' };
    this.order.push(entry);
    return entry;
  }

  ack(entry: Delivery): void {
    if (this.closed || entry.state !== 'pending') return;
    entry.state = 'acked';
    if (!this.scheduled) {
      this.scheduled = true;
      // After the current microtasks: every handler that finished in this turn joins one frame.
      process.nextTick(() => this.flush());
    }
  }

  /** Returns the message to the queue now. */
  requeue(entry: Delivery): void {
    if (this.closed || entry.state !== 'pending') return;
    entry.state = 'done';
    this.safely(() => this.channel.nack(entry.message, false, true));
  }

  /** Sends every pending ack now (also before the channel closes gracefully). */
  flush(): void {
    this.scheduled = false;
    if (this.closed) return;
    let upTo: Delivery | undefined;
    while (this.head < this.order.length && this.order[this.head]!.state !== 'pending') {
      const entry = this.order[this.head]!;
      // The slot lets go of the delivery now, not at the next compaction: a thousand settled
      // messages (content, headers, properties) kept alive survive every scavenge until then.
      this.order[this.head++] = SETTLED;
      if (entry.state === 'acked') {
        upTo = entry;
        entry.state = 'done';
      }
    }
    if (upTo) this.safely(() => this.channel.ack(upTo.message, true));
    for (let i = this.head; i < this.order.length && !this.closed; i++) {
      const entry = this.order[i]!;
      if (entry.state !== 'acked') continue;
      this.safely(() => this.channel.ack(entry.message));
      entry.state = 'done';
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  /** The channel is gone: nothing more can be acked on it. */
  discard(): void {
    this.closed = true;
    this.order = [];
    this.head = 0;
  }

  /**
   * amqplib throws when the channel is already closing (the broker closed it, or the
   * connection is going); its 'close' event follows. Those deliveries come back anyway.
   */
  private safely(send: () => void): void {
    try {
      send();
    } catch {
      this.discard();
    }
  }
}
