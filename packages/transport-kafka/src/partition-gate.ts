/**
 * Which partitions a consumer has paused, and why. A partition is paused while a retry
 * record at its head is not due yet (`holdUntil`), while the consumer waits to rejoin its
 * group after a refused commit (`pauseUntilRejoin`), or while an earlier batch of it still
 * goes out one record at a time (`hold`, see crash-guard.ts); it is resumed only when no
 * reason is left. (Too much unfinished work pauses nothing: see intake-bound.ts.)
 */
import type { Consumer } from 'kafkajs';

interface Paused {
  topic: string;
  partition: number;
  timer?: NodeJS.Timeout;
  rejoin: boolean;
  held: boolean;
}

export class PartitionGate {
  private readonly paused = new Map<string, Paused>();
  private awaitingRejoin = 0;
  private closed = false;

  constructor(private readonly consumer: Pick<Consumer, 'pause' | 'resume'>) {}

  private entry(topic: string, partition: number): Paused {
    const id = `${topic}\u0000${partition}`;
    let e = this.paused.get(id);
    if (!e) {
      e = { topic, partition, rejoin: false, held: false };
      this.paused.set(id, e);
      this.consumer.pause([{ topic, partitions: [partition] }]);
    }
    return e;
  }

  private release(e: Paused): void {
    if (e.timer || e.rejoin || e.held || this.closed) return;
    this.paused.delete(`${e.topic}\u0000${e.partition}`);
    this.consumer.resume([{ topic: e.topic, partitions: [e.partition] }]);
  }

  /** Pauses the partition until `due` (epoch ms); the fetch then resumes at the unresolved record. */
  holdUntil(topic: string, partition: number, due: number): void {
    const e = this.entry(topic, partition);
    if (e.timer) return;
    e.timer = setTimeout(() => {
      e.timer = undefined;
      this.release(e);
    }, due - Date.now());
  }

  /** Pauses the partition until `unhold()`. */
  hold(topic: string, partition: number): void {
    this.entry(topic, partition).held = true;
  }

  unhold(topic: string, partition: number): void {
    const e = this.paused.get(`${topic}\u0000${partition}`);
    if (!e) return;
    e.held = false;
    this.release(e);
  }

  /** Lifts every `hold` (the generation that held them ended). */
  unholdAll(): void {
    for (const e of [...this.paused.values()]) {
      if (!e.held) continue;
      e.held = false;
      this.release(e);
    }
  }

  /** Pauses the partition until `rejoined()`. */
  pauseUntilRejoin(topic: string, partition: number): void {
    const e = this.entry(topic, partition);
    if (!e.rejoin) this.awaitingRejoin++;
    e.rejoin = true;
  }

  /** Lifts `pauseUntilRejoin` from every partition. */
  rejoined(): void {
    if (this.awaitingRejoin === 0) return;
    this.awaitingRejoin = 0;
    for (const e of [...this.paused.values()]) {
      e.rejoin = false;
      this.release(e);
    }
  }

  /** Stops every timer; nothing is resumed any more (the consumer is closing). */
  close(): void {
    this.closed = true;
    for (const e of this.paused.values()) clearTimeout(e.timer);
  }
}
