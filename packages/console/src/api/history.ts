import { exhaustMap, from, timer, type Subscription } from 'rxjs';

/** What the history samples: the app's consumer groups, the broker's backlog, the outbox's counts. */
export interface HistorySource {
  /** The consumer groups, in the order the model lists them. */
  groups(): readonly string[];
  /** Messages waiting for a group, where the broker can count them (BrokerTransport.backlog). */
  backlog?: (group: string) => Promise<number>;
  /** The outbox's waiting and parked records, where the store's outbox gives operator access. */
  outboxCounts?: () => Promise<{ waiting: number; parked: number }>;
}

/** How often and how much the history keeps. */
export interface HistoryOptions {
  /** Time between two samples. Default 5 s. */
  intervalMs?: number;
  /** Samples kept, oldest out first. Default 180 (15 minutes at 5 s). */
  samples?: number;
  /** Consumer groups sampled, the first ones in the model's order; the others are counted in `groupsLeftOut`. Default 20. */
  maxGroups?: number;
}

/** `GET history`: column by column, ready for a chart; `null` where a value could not be read. */
export interface HistoryJson {
  intervalMs: number;
  capacity: number;
  /** How long the sampling has been running: the chart starts from the first look. */
  watchedForMs: number;
  /** Whether the broker counts waiting messages (else every lag value is null). */
  lagCounted: boolean;
  /** Whether the store's outbox gives its counts (else waiting and parked are null). */
  outboxCounted: boolean;
  /** Sample times, epoch ms, oldest first. */
  at: number[];
  lag: Array<{ group: string; waiting: Array<number | null> }>;
  groupsLeftOut: number;
  outbox: { waiting: Array<number | null>; parked: Array<number | null> };
}

interface Sample {
  at: number;
  lag: Array<number | null>;
  waiting: number | null;
  parked: number | null;
}

const settle = (read: Promise<number>): Promise<number | null> => read.catch(() => null);

/**
 * Lag per consumer group and the outbox backlog over the last minutes, sampled at a fixed
 * interval into a bounded ring only while someone looks: the first `look()` starts the
 * sampling (with a sample at once), and it stops, its samples dropped, `idleMs` after the
 * last. Memory is at most `samples` × (`maxGroups` + 3) numbers whatever the app.
 */
export class History {
  private readonly intervalMs: number;
  private readonly capacity: number;
  private readonly maxGroups: number;
  /** The ring: `next` is where the next sample goes once it is full. */
  private ring: Sample[] = [];
  private next = 0;
  private groups: readonly string[] = [];
  private leftOut = 0;
  private subscription: Subscription | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;

  constructor(
    private readonly source: HistorySource,
    options: HistoryOptions,
    private readonly idleMs: number,
  ) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.capacity = Math.max(1, options.samples ?? 180);
    this.maxGroups = Math.max(0, options.maxGroups ?? 20);
  }

  /** Whether samples are being taken now. */
  get sampling(): boolean {
    return this.subscription !== undefined;
  }

  /** The samples so far (starting the sampling on the first look), oldest first. */
  look(): HistoryJson {
    if (!this.subscription) this.start();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), this.idleMs);
    this.idleTimer.unref();
    const samples = [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return {
      intervalMs: this.intervalMs,
      capacity: this.capacity,
      watchedForMs: Date.now() - this.startedAt,
      lagCounted: this.source.backlog !== undefined,
      outboxCounted: this.source.outboxCounts !== undefined,
      at: samples.map((s) => s.at),
      lag: this.groups.map((group, i) => ({ group, waiting: samples.map((s) => s.lag[i] ?? null) })),
      groupsLeftOut: this.leftOut,
      outbox: { waiting: samples.map((s) => s.waiting), parked: samples.map((s) => s.parked) },
    };
  }

  stop(): void {
    clearTimeout(this.idleTimer);
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.ring = [];
    this.next = 0;
  }

  private start(): void {
    const all = this.source.groups();
    this.groups = all.slice(0, this.maxGroups);
    this.leftOut = all.length - this.groups.length;
    this.startedAt = Date.now();
    // exhaustMap: a tick that comes while a slow broker or store is still answering is skipped.
    this.subscription = timer(0, this.intervalMs)
      .pipe(exhaustMap(() => from(this.sample())))
      .subscribe((sample) => this.keep(sample));
  }

  private async sample(): Promise<Sample> {
    const at = Date.now();
    const { backlog, outboxCounts } = this.source;
    const [lag, counts] = await Promise.all([
      Promise.all(this.groups.map((group) => (backlog ? settle(backlog(group)) : null))),
      outboxCounts ? outboxCounts().catch(() => undefined) : undefined,
    ]);
    return { at, lag, waiting: counts?.waiting ?? null, parked: counts?.parked ?? null };
  }

  private keep(sample: Sample): void {
    if (!this.subscription) return;
    if (this.ring.length < this.capacity) {
      this.ring.push(sample);
      return;
    }
    this.ring[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
  }
}
