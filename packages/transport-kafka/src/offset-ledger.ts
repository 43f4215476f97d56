/**
 * Which offsets may be committed. Messages of a partition finish out of order (keys run
 * concurrently), but a Kafka commit says "everything before this offset is done", so the
 * ledger commits only the highest contiguous finished offset of each partition: a
 * message still being handled, or waiting, holds back every offset after it.
 *
 * One ledger lives for one group generation. After a rebalance the consumer starts a
 * new ledger; work finished in the old one is never committed (the partition may belong
 * to another member now, and it will be redelivered from the last commit).
 */
export interface Slot {
  readonly offset: string;
  done: boolean;
}

/** Tracks one partition's messages (see `OffsetLedger.tracker`). */
export interface PartitionTracker {
  track(offset: string): Slot;
}

/** A slot knows its partition, so finishing it needs no lookup. */
interface TrackedSlot extends Slot {
  readonly progress: PartitionProgress;
}

class PartitionProgress implements PartitionTracker {
  private slots: TrackedSlot[] = [];
  private head = 0;
  /** The last offset of the contiguous finished run (commits name the one after it). */
  lastDone: string | undefined;
  committed: string | undefined;

  track(offset: string): Slot {
    const slot: TrackedSlot = { offset, done: false, progress: this };
    this.slots.push(slot);
    return slot;
  }

  advance(): boolean {
    let moved = false;
    while (this.head < this.slots.length && this.slots[this.head]!.done) {
      this.lastDone = this.slots[this.head]!.offset;
      this.head++;
      moved = true;
    }
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    return moved;
  }

  get unfinished(): number {
    return this.slots.length - this.head;
  }

  /** The offset a commit may name now: the first unfinished one, else the one after the last done. */
  get position(): string | undefined {
    const first = this.slots[this.head];
    if (first) return first.offset;
    return this.lastDone === undefined ? undefined : (BigInt(this.lastDone) + 1n).toString();
  }
}

export interface CommitEntry {
  topic: string;
  partition: number;
  offset: string;
  /** Kept with the offset by the broker; the crash guard's delivery records (delivery-record.ts). */
  metadata?: string | null;
}

export class OffsetLedger {
  private readonly partitions = new Map<string, { topic: string; partition: number; progress: PartitionProgress }>();

  private progressOf(topic: string, partition: number): PartitionProgress {
    const id = `${topic}\u0000${partition}`;
    let entry = this.partitions.get(id);
    if (!entry) {
      entry = { topic, partition, progress: new PartitionProgress() };
      this.partitions.set(id, entry);
    }
    return entry.progress;
  }

  /** Records a message handed to a handler; offsets of one partition arrive in increasing order. */
  track(topic: string, partition: number, offset: string): Slot {
    return this.progressOf(topic, partition).track(offset);
  }

  /** Tracks a batch of one partition's messages without a lookup per message. */
  tracker(topic: string, partition: number): PartitionTracker {
    return this.progressOf(topic, partition);
  }

  /** Marks a message's disposition final (`slot` from this ledger); true when its partition can now commit further. */
  finish(topic: string, partition: number, slot: Slot): boolean {
    slot.done = true;
    const { progress } = slot as TrackedSlot;
    return (progress ?? this.progressOf(topic, partition)).advance();
  }

  /** Offsets that moved since the last `committed()`; each partition at most once. */
  pendingCommits(): CommitEntry[] {
    const out: CommitEntry[] = [];
    for (const { topic, partition, progress } of this.partitions.values()) {
      if (progress.lastDone === undefined) continue;
      const offset = (BigInt(progress.lastDone) + 1n).toString();
      if (offset !== progress.committed) out.push({ topic, partition, offset });
    }
    return out;
  }

  /** Records that the broker accepted these commits, so they are never sent twice. */
  committed(entries: CommitEntry[]): void {
    for (const e of entries) this.progressOf(e.topic, e.partition).committed = e.offset;
  }

  /** Where each partition tracked so far may be committed now (see PartitionProgress.position). */
  positions(): CommitEntry[] {
    const out: CommitEntry[] = [];
    for (const { topic, partition, progress } of this.partitions.values()) {
      const offset = progress.position;
      if (offset !== undefined) out.push({ topic, partition, offset });
    }
    return out;
  }

  position(topic: string, partition: number): string | undefined {
    return this.partitions.get(`${topic}\u0000${partition}`)?.progress.position;
  }

  /** Messages tracked but not finished, across partitions. */
  get unfinished(): number {
    let n = 0;
    for (const { progress } of this.partitions.values()) n += progress.unfinished;
    return n;
  }
}
