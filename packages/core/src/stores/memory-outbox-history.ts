/**
 * What the in-process outbox keeps of the events it published, for replay: a log in
 * publish order per key, bounded by age (`retention.outboxMs`), count and bytes so a
 * long-running process cannot grow without limit. Past a bound the oldest are dropped.
 */
import { Header } from '../messages/headers.js';
import type { EventHistory, HistoryQuery, PastEvent } from '../replay/history.js';
import type { OutgoingMessage } from '../transport/broker.js';
import { countEvictions } from '../metrics/store-metrics.js';

/** Bounds of the published events the in-process outbox keeps for replay. */
export interface MemoryOutboxHistoryOptions {
  /** Events kept at most. Default 10,000. */
  maxEvents?: number;
  /** Body and header bytes kept at most. Default 16 MiB. */
  maxBytes?: number;
}

interface Entry {
  seq: number;
  event: PastEvent;
  bytes: number;
}

function sizeOf(message: OutgoingMessage): number {
  let bytes = message.body.byteLength + 64;
  for (const [name, value] of Object.entries(message.headers)) bytes += (name.length + value.length) * 2;
  return bytes;
}

function matches(entry: Entry, query: HistoryQuery): boolean {
  const { time, message } = entry.event;
  return time >= query.since && time < query.until && query.types.includes(message.headers[Header.type] ?? '');
}

export class MemoryOutboxHistory implements EventHistory {
  readonly name = 'the in-process outbox';
  /** Kept events from `head` on; the dropped prefix is cut off once it is half the array. */
  private entries: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private readonly maxEvents: number;
  private readonly maxBytes: number;

  constructor(
    private readonly retentionMs: number,
    options: MemoryOutboxHistoryOptions = {},
  ) {
    this.maxEvents = options.maxEvents ?? 10_000;
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  }

  /** Events kept now. */
  get size(): number {
    return this.entries.length - this.head;
  }

  private kept(): Entry[] {
    return this.entries.slice(this.head);
  }

  /** Keeps published rows, by their outbox sequence so order per key is commit order. */
  keep(rows: ReadonlyArray<{ seq: number; message: OutgoingMessage; createdAt: number }>): void {
    for (const row of rows) {
      const entry: Entry = {
        seq: row.seq,
        event: { id: row.message.headers[Header.id] ?? '', message: row.message, time: row.createdAt },
        bytes: sizeOf(row.message),
      };
      let at = this.entries.length;
      while (at > this.head && this.entries[at - 1]!.seq > entry.seq) at--;
      this.entries.splice(at, 0, entry);
      this.bytes += entry.bytes;
    }
    this.trim();
  }

  private trim(): void {
    const oldest = Date.now() - this.retentionMs;
    let evicted = 0;
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head]!;
      const expired = entry.event.time < oldest;
      if (!expired && this.size <= this.maxEvents && this.bytes <= this.maxBytes) break;
      if (!expired) evicted++;
      this.bytes -= entry.bytes;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    if (evicted > 0) countEvictions('outbox-history', evicted);
  }

  async count(query: HistoryQuery): Promise<number> {
    this.trim();
    return this.kept().filter((entry) => matches(entry, query)).length;
  }

  async *read(query: HistoryQuery, batchSize: number): AsyncIterable<PastEvent[]> {
    this.trim();
    // A snapshot: what is published during the replay is delivered by the relay anyway.
    const chosen = this.kept()
      .filter((entry) => matches(entry, query))
      .map((entry) => entry.event);
    for (let at = 0; at < chosen.length; at += batchSize) yield chosen.slice(at, at + batchSize);
  }

  async oldest(): Promise<number | undefined> {
    this.trim();
    return this.entries[this.head]?.event.time;
  }
}
