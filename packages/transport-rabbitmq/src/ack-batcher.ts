/**
 * Acknowledges a channel's deliveries with as few frames as correctness allows. Handlers
 * finish out of delivery order (keys run concurrently), so a single `basic.ack` with
 * `multiple` may only cover the longest prefix of deliveries that are all settled.
 *
 * A drain is paced by the broker, which works per ack frame as well as per message: acking
 * once per tick sent a frame per socket read (about one per 18 deliveries at prefetch 100).
 * So settled deliveries wait until half the prefetch window is unacked on the wire, then go
 * out together at the end of the tick; the broker still holds the other half of the window
 * to send meanwhile, so the flow never waits on an ack. Below that share (a low rate, or
 * the last messages of a burst) a short timer sends them. A prefetch of 1 or 2 makes the
 * share one delivery: every ack goes out in its tick, so such a consumer keeps moving.
 *
 * Deliveries settled behind one still running are acked one by one in the same flush, so
 * a slow handler never holds back acks and, through the prefetch window, the flow of the
 * others. A requeue is sent at once. RabbitMQ refuses (closing the channel) a `multiple`
 * ack that names a delivery no longer outstanding, so the frame always names one that is.
 * A delayed ack lost to a crash means the broker delivers those messages again, which
 * at-least-once delivery allows (the inbox drops the duplicates); a graceful close flushes
 * first, and a channel that closed acks nothing.
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

/** How long an ack waits at most for the unacked share of the window to fill. */
export const ACK_DELAY_MS = 5;

/** What a slot behind the head holds once its delivery is settled on the wire. */
const SETTLED: Delivery = { message: undefined as unknown as Message, state: 'done' };

export class AckBatcher {
  private order: Delivery[] = [];
  private head = 0;
  /** Deliveries received and not yet acked or requeued on the wire. */
  private unacked = 0;
  /** Unacked deliveries at which settled ones are acked in this tick rather than by the timer. */
  private readonly share: number;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly flushNow = (): void => this.flush();

  /** `prefetch`: the channel's prefetch count, the window the broker sends within. */
  constructor(
    private readonly channel: AckChannel,
    prefetch: number,
  ) {
    this.share = Math.max(1, prefetch >> 1);
  }

  /**
   * Records a delivery, in the order the broker sent it. The handle it returns is what the
   * delivery is settled by: no lookup per message, and a second settle of one delivery is
   * ignored.
   */
  received(message: Message): Delivery {
    const entry: Delivery = { message, state: 'pending' };
    this.order.push(entry);
    this.unacked++;
    return entry;
  }

  ack(entry: Delivery): void {
    if (this.closed || entry.state !== 'pending') return;
    entry.state = 'acked';
    if (this.scheduled) return;
    if (this.unacked >= this.share) {
      this.scheduled = true;
      // After the current microtasks: every handler that finished in this turn joins one frame.
      process.nextTick(this.flushNow);
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.flushNow, ACK_DELAY_MS);
      // Pending acks alone never keep a process alive; its connection does while it lives.
      this.timer.unref();
    }
  }

  /** Returns the message to the queue now. */
  requeue(entry: Delivery): void {
    if (this.closed || entry.state !== 'pending') return;
    entry.state = 'done';
    this.unacked--;
    this.safely(() => this.channel.nack(entry.message, false, true));
  }

  /** Sends every pending ack now (also before the channel closes gracefully). */
  flush(): void {
    this.scheduled = false;
    this.stopTimer();
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
        this.unacked--;
      }
    }
    if (upTo) this.safely(() => this.channel.ack(upTo.message, true));
    for (let i = this.head; i < this.order.length && !this.closed; i++) {
      const entry = this.order[i]!;
      if (entry.state !== 'acked') continue;
      this.safely(() => this.channel.ack(entry.message));
      entry.state = 'done';
      this.unacked--;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  /** The channel is gone: nothing more can be acked on it. */
  discard(): void {
    this.closed = true;
    this.stopTimer();
    this.order = [];
    this.head = 0;
    this.unacked = 0;
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
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
