/**
 * Crash loops on Kafka: counts, outside the process, the deliveries of a record that never
 * settled, so that the runtime can dead-letter a message that keeps taking its consumer down
 * (`IncomingMessage.deliveryCount`, reason `crash-loop`). The count lives in the metadata of
 * the group's committed offsets (delivery-record.ts). One guard serves one group generation.
 *
 * - A member marks the commits of a partition with how far its handlers may have got
 *   (`upto`: `slack` offsets past the furthest record whose handler started). Ordinary
 *   commits carry the mark for free; a handler about to start past it waits for a commit of
 *   its own, which is sent ahead of need (half the slack early) and extends the marks of the
 *   partitions handled beside it too, so in steady state nothing waits and nothing is
 *   committed per message. A member that stops normally (close,
 *   rebalance) commits without a mark.
 * - A member that finds a partition marked by another process knows that process stopped
 *   (crashed, was killed, hung) while some handler up to `upto` was running: any of those
 *   records may be the cause. So they go out one at a time, each alone in the process
 *   (exclusive-lane.ts), each committed marked `alone n+1` before its handler starts and its
 *   successor's offset after it settled. A process that dies now leaves the one record that
 *   was running on record, and the next member counts it.
 * - Once its fetch has passed `upto` and those records have settled, the partition is
 *   handled as usual again.
 */
import { decodeDeliveryRecord, deliveryCountAlone, encodeDeliveryRecord } from './delivery-record.js';
import type { CommitEntry } from './offset-ledger.js';
import { SharedMark } from './shared-mark.js';

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: string;
  metadata: string | null;
}

export interface CrashGuardDeps {
  /** This transport instance's id, written into its marks. */
  instance: string;
  /** How far past the furthest started handler a mark reaches. */
  slack: number;
  /** The group's committed offsets and their metadata (read once, before the guard's first commit). */
  read(): Promise<CommittedOffset[]>;
  /** Reading failed `READ_ATTEMPTS` times: this generation goes on without the marks it could not read. */
  unread(error: unknown): void;
  /** Where the partition may be committed now (offset-ledger.ts), if anything of it was dispatched. */
  position(topic: string, partition: number): string | undefined;
  /** Commits now; rejects when the broker refuses. */
  commit(entries: CommitEntry[]): Promise<void>;
}

type Mode =
  /** Marked by a process that stopped: records from `at` up to `upto` go out one at a time. */
  | { kind: 'suspect'; at: string; upto: bigint; starts: number }
  /** Records go out several at once; a commit says handlers may have started up to `upto`. */
  | SharedMark
  | {
      kind: 'alone';
      head: string;
      headStarts: number;
      upto: bigint;
      /** Handed out alone and not settled yet. */
      outstanding: number;
      /** The fetch has passed `upto`: the partition is shared again once nothing is outstanding. */
      past: boolean;
      /** Lone starts this process put on record, by offset. */
      started: Map<string, number>;
    };

/** Of a batch's records: the first `alone` go out one at a time, the next `shared` as usual; the rest wait. */
export interface BatchPlan {
  alone: number;
  shared: number;
}

const after = (offset: string) => (BigInt(offset) + 1n).toString();

/** The key of a partition's state: `${topic}\u0000${partition}` (deliveries.ts makes it once per batch). */
export function partitionId(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Batches that try to read the marks (each a second apart, see deliveries.ts) before the guard does without. */
const READ_ATTEMPTS = 3;

export class CrashGuard {
  private readonly modes = new Map<string, Mode>();
  private loaded: Promise<void> | undefined;
  private readFailures = 0;
  private readonly slack: bigint;
  private readonly halfSlack: bigint;

  constructor(private readonly deps: CrashGuardDeps) {
    this.slack = BigInt(deps.slack);
    this.halfSlack = this.slack / 2n;
  }

  private load(): Promise<void> {
    if (!this.loaded) {
      this.loaded = this.deps.read().then((offsets) => {
        for (const { topic, partition, offset, metadata } of offsets) {
          const record = decodeDeliveryRecord(metadata);
          if (!record || BigInt(offset) < 0n) continue;
          // Our own mark: this process did not stop; it lost the partition in a rebalance.
          const ours = record.by === this.deps.instance;
          if (ours && record.mode === 'shared') continue;
          const starts = Math.max(0, record.starts - (ours ? 1 : 0));
          this.set(topic, partition, { kind: 'suspect', at: offset, upto: record.upto, starts });
        }
      });
      // A failed read is tried again by the next batch; a consumer that cannot read its own
      // group's offsets is not kept from consuming by it for long.
      this.loaded = this.loaded.catch((error: unknown) => {
        this.loaded = undefined;
        if (++this.readFailures < READ_ATTEMPTS) throw error;
        this.loaded = Promise.resolve();
        this.deps.unread(error);
      });
    }
    return this.loaded;
  }

  private mode(topic: string, partition: number): Mode | undefined {
    return this.modes.get(partitionId(topic, partition));
  }

  private set(topic: string, partition: number, mode: Mode): void {
    this.modes.set(partitionId(topic, partition), mode);
  }

  private shared(upto: bigint): SharedMark {
    return new SharedMark(upto, this.halfSlack);
  }

  private mark(mode: 'shared' | 'alone', starts: number, upto: bigint): string {
    return encodeDeliveryRecord({ mode, starts, upto, by: this.deps.instance });
  }

  /**
   * Decides how a batch's ready records (`offsets`, increasing) go out. `through` is the last
   * offset the batch covers when all of it goes out. Rejects when the marks cannot be read.
   */
  async plan(topic: string, partition: number, offsets: readonly string[], through: string): Promise<BatchPlan> {
    await this.load();
    let mode = this.mode(topic, partition);
    if (mode?.kind === 'suspect') {
      if (mode.at === offsets[0]) {
        const { at, upto, starts } = mode;
        mode = { kind: 'alone', head: at, headStarts: starts, upto, outstanding: 0, past: false, started: new Map() };
        this.set(topic, partition, mode);
      } else mode = undefined; // the marked record is gone (retention): nothing to single out
    }
    if (mode?.kind === 'alone') {
      const upto = mode.upto;
      const alone = offsets.filter((o) => BigInt(o) <= upto).length;
      if (alone < offsets.length || BigInt(through) > upto) mode.past = true;
      mode.outstanding += alone;
      if (alone > 0 || mode.outstanding > 0) return { alone, shared: 0 };
      // Its committed mark still covers up to `upto`; handlers past it extend it.
      this.set(topic, partition, this.shared(upto));
    }
    if (!mode) this.set(topic, partition, this.shared(-1n));
    return { alone: 0, shared: offsets.length };
  }

  /**
   * Before a shared handler starts at `offset`: undefined when the mark covers it, else a
   * commit to wait for (then ask again). Extends the mark ahead of need when it gets close;
   * the same commit extends the marks of the other partitions handled as usual that started
   * handlers since their last mark, so partitions handled side by side share their commits.
   */
  beforeShared(
    topic: string,
    partition: number,
    offset: string,
    id = partitionId(topic, partition),
  ): Promise<void> | undefined {
    const mode = this.modes.get(id);
    if (mode?.kind !== 'shared') return undefined;
    mode.start(offset);
    if (!mode.extending && mode.near(offset)) this.extend(topic, partition, offset, mode);
    return mode.covers(offset) ? undefined : mode.extending;
  }

  /** One commit that extends this partition's mark and those of the others that need it (see beforeShared). */
  private extend(topic: string, partition: number, offset: string, mode: SharedMark): void {
    const slack = this.slack;
    const at = this.deps.position(topic, partition) ?? offset;
    const entries: CommitEntry[] = [
      { topic, partition, offset: at, metadata: this.mark('shared', 0, BigInt(offset) + slack) },
    ];
    const extended: SharedMark[] = [mode];
    for (const [id, other] of this.modes) {
      if (other === mode || other.kind !== 'shared' || other.extending) continue;
      const started = other.started;
      if (started + slack <= other.upto) continue;
      const [otherTopic, otherPartition] = id.split('\u0000') as [string, string];
      const otherAt = this.deps.position(otherTopic, Number(otherPartition));
      if (otherAt === undefined) continue;
      const metadata = this.mark('shared', 0, started + slack);
      entries.push({ topic: otherTopic, partition: Number(otherPartition), offset: otherAt, metadata });
      extended.push(other);
    }
    const extending: Promise<void> = this.deps
      .commit(entries)
      .then(
        () => undefined,
        // Refused: the next ask tries again, a second later.
        () => new Promise<void>((resolve) => setTimeout(resolve, 1_000)),
      )
      .finally(() => {
        for (const m of extended) if (m.extending === extending) m.extending = undefined;
      });
    for (const m of extended) m.extending = extending;
  }

  /** Puts on record that `offset` goes to its handler alone now; returns its delivery count. */
  async startAlone(topic: string, partition: number, offset: string): Promise<number> {
    const mode = this.mode(topic, partition);
    if (mode?.kind !== 'alone') throw new Error(`kafka crash guard: ${topic}/${partition} is not handed out alone`);
    const earlier = offset === mode.head ? mode.headStarts : 0;
    // Handed back and run again in this process: the same delivery, not a new start.
    if (!mode.started.has(offset)) {
      await this.deps.commit([{ topic, partition, offset, metadata: this.mark('alone', earlier + 1, mode.upto) }]);
      mode.started.set(offset, earlier + 1);
    }
    return deliveryCountAlone(earlier);
  }

  /**
   * After a lone delivery settled: moves the offset past it; true when the partition is
   * shared again. A refused commit is left to the next one (the next lone start, or the
   * ordinary commits), which moves the offset past it too.
   */
  async settledAlone(topic: string, partition: number, offset: string): Promise<boolean> {
    const mode = this.mode(topic, partition);
    if (mode?.kind !== 'alone') return false;
    mode.outstanding--;
    const done = mode.past && mode.outstanding === 0;
    if (done) this.set(topic, partition, this.shared(mode.upto));
    const metadata = this.mark(done ? 'shared' : 'alone', 0, mode.upto);
    await this.deps.commit([{ topic, partition, offset: after(offset), metadata }]).catch(() => undefined);
    return done;
  }

  /** The first record of the partition found marked (the one a lone window starts at), if any. */
  firstAlone(topic: string, partition: number): string | undefined {
    const mode = this.mode(topic, partition);
    return mode?.kind === 'alone' ? mode.head : undefined;
  }

  /** True while the partition's records go out one at a time (they commit their offsets themselves). */
  isolating(topic: string, partition: number): boolean {
    return this.mode(topic, partition)?.kind === 'alone';
  }

  /** The mark of an ordinary commit of this partition, reaching `slack` past its furthest started handler. */
  metadataFor(topic: string, partition: number): string | null {
    const mode = this.mode(topic, partition);
    if (mode?.kind !== 'shared') return null;
    const upto = mode.started + this.slack;
    return this.mark('shared', 0, upto > mode.upto ? upto : mode.upto);
  }

  /** After the broker took these commits: marks of ours raise how far handlers may start unasked. */
  committed(entries: readonly CommitEntry[]): void {
    for (const { topic, partition, metadata } of entries) {
      const mode = this.mode(topic, partition);
      const record = decodeDeliveryRecord(metadata);
      if (mode?.kind === 'shared' && record?.by === this.deps.instance) mode.raise(record.upto);
    }
  }

  /**
   * Unmarked commits of every partition handed out as usual, for a member that stops
   * normally with nothing in flight (or leaves the rest to be redelivered): the next member
   * has nothing to single out. Partitions handed out one at a time keep their marks.
   */
  clean(positions: readonly CommitEntry[]): CommitEntry[] {
    return positions
      .filter((p) => this.mode(p.topic, p.partition)?.kind === 'shared')
      .map((p) => ({ ...p, metadata: null }));
  }
}
