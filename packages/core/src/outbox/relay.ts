import { silentLogger, type Logger } from '../log/logger.js';
import type { OutboxReader, OutboxRecord, OutboxStore } from '../stores/store.js';
import type { BrokerTransport, TransportHealth } from '../transport/broker.js';
import { publishPass, type PassResult } from './publish-pass.js';

/** A refused record's wait doubles with each refusal, up to this. */
const REFUSED_MAX_DELAY_MS = 60_000;

/** How the outbox relay polls, batches and backs off. */
export interface RelayOptions {
  /** Most records published per broker call. Default 500. */
  batchSize?: number;
  /** Fallback poll when no notification arrives. Default 1 s. */
  pollIntervalMs?: number;
  /** How often the relay takes or gives up key ranges as instances come and go. Default 2 s. */
  balanceIntervalMs?: number;
  /** First wait after a failure, doubled up to 10 s. Default 200 ms. */
  retryDelayMs?: number;
  /**
   * A record the broker refused this many times, each time on its own, is parked: the
   * relay stops trying it, and the later records of its key wait behind it, until
   * `tandem outbox retry` (or `discard`). Default 10.
   */
  parkAfter?: number;
  /**
   * First wait before a refused record is tried again, doubled after each refusal up to
   * 1 min; its key's later records wait with it. Default `retryDelayMs`: with the
   * defaults (200 ms, `parkAfter` 10) a record is parked at least 100 s after its first
   * refusal, while three refusals in a row delay it by 1.4 s.
   */
  refusedRetryDelayMs?: number;
  log?: Logger;
  /**
   * Fault injection for tests: runs after the broker confirmed a batch and before it is
   * marked. Throwing leaves the batch unmarked, exactly as a crash at that point would,
   * so it is sent again.
   */
  afterConfirm?: (records: OutboxRecord[]) => void | Promise<void>;
  /** Called after a batch was marked published (metrics, benchmarks). */
  onPublished?: (records: OutboxRecord[]) => void;
}

/** What the outbox relay has sent, refused and parked so far. */
export interface RelayStats {
  published: number;
  batches: number;
  /** Passes in which the broker accepted nothing (or the store failed). */
  failures: number;
  /** Times the broker refused a record on its own. */
  refused: number;
  /** Parked records in the outbox (all key ranges), as of the last check. */
  parked: number;
  /** Key ranges this relay owns now. */
  owned: number;
  lastError?: string;
}

/** The process that sends committed outbox records to the broker. */
export interface OutboxRelay {
  start(): Promise<void>;
  /** Stops after the batch in flight; with `drainMs`, first publishes what is committed in its ranges, for up to that long. */
  stop(options?: { drainMs?: number }): Promise<void>;
  health(): TransportHealth;
  readonly stats: Readonly<RelayStats>;
}

/**
 * Publishes committed outbox records: claims the oldest in the key ranges it owns, waits
 * for the broker's confirmation, then marks them. A crash between confirm and mark sends
 * those records again (the consumers' inbox drops the duplicates); order per key holds
 * because one range has one relay at a time and a refused record holds back the later
 * records of its key. A record the broker keeps refusing is isolated (see publishPass),
 * retried with backoff, and parked after `parkAfter` refusals.
 */
export function outboxRelay(outbox: OutboxStore, broker: BrokerTransport, options: RelayOptions = {}): OutboxRelay {
  return new Relay(outbox, broker, options);
}

class Relay implements OutboxRelay {
  readonly stats: RelayStats = { published: 0, batches: 0, failures: 0, refused: 0, parked: 0, owned: 0 };
  private reader: OutboxReader | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private drainUntil = 0;
  private wake: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.wake = resolve));
  private readonly log: Logger;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly balanceMs: number;
  private readonly retryMs: number;
  private readonly parkAfter: number;
  private readonly refusedDelayMs: number;
  /** When the soonest record this relay saw refused may be tried again: an idle relay wakes for it. */
  private retryDueAt = Infinity;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly broker: BrokerTransport,
    private readonly options: RelayOptions,
  ) {
    this.log = (options.log ?? silentLogger).child({ component: 'outbox-relay' });
    this.batchSize = options.batchSize ?? 500;
    this.pollMs = options.pollIntervalMs ?? 1_000;
    this.balanceMs = options.balanceIntervalMs ?? 2_000;
    this.retryMs = options.retryDelayMs ?? 200;
    this.parkAfter = options.parkAfter ?? 10;
    this.refusedDelayMs = options.refusedRetryDelayMs ?? this.retryMs;
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.reader = await this.outbox.openReader();
    this.stats.owned = await this.reader.balance();
    this.loop = this.run();
  }

  async stop(options: { drainMs?: number } = {}): Promise<void> {
    if (!this.loop) return;
    this.drainUntil = Date.now() + (options.drainMs ?? 0);
    this.stopping = true;
    this.wake();
    await this.loop;
    this.loop = undefined;
  }

  health(): TransportHealth {
    if (!this.loop || this.stopping) return { ok: false, detail: 'relay not running' };
    const ok = this.reader?.alive ?? false;
    const { owned, published, parked, lastError } = this.stats;
    const parkedNote = parked > 0 ? `; ${parked} parked (tandem outbox list --parked)` : '';
    return {
      ok,
      detail: `owns ${owned} key ranges; published ${published}${parkedNote}${lastError ? `; last error: ${lastError}` : ''}`,
    };
  }

  private async run(): Promise<void> {
    let delay = this.retryMs;
    let nextBalance = Date.now() + this.balanceMs;
    while (!this.stopping || Date.now() < this.drainUntil) {
      try {
        if (!this.reader?.alive) {
          await this.reader?.close().catch(() => undefined);
          this.reader = await this.outbox.openReader();
          nextBalance = 0;
        }
        if (!this.stopping && Date.now() >= nextBalance) {
          this.stats.owned = await this.reader.balance();
          this.stats.parked = await this.reader.countParked();
          nextBalance = Date.now() + this.balanceMs;
        }
        const records = await this.reader.claim(this.batchSize);
        if (records.length === 0) {
          if (this.stopping) break;
          if (this.retryDueAt <= Date.now()) this.retryDueAt = Infinity;
          const wait = Math.min(this.pollMs, nextBalance - Date.now(), this.retryDueAt - Date.now());
          await Promise.race([this.reader.waitForAppend(Math.max(1, wait)), this.stopped]);
          continue;
        }
        const pass = await this.publish(this.reader, records);
        if (pass.accepted > 0) delay = this.retryMs;
        else throw pass.lastError;
      } catch (error) {
        this.stats.failures++;
        this.stats.lastError = messageOf(error);
        this.log.error({ err: error, retryInMs: delay }, 'outbox relay failed; retrying');
        if (this.stopping) break;
        await Promise.race([new Promise((resolve) => setTimeout(resolve, delay).unref()), this.stopped]);
        delay = Math.min(delay * 2, 10_000);
      }
    }
    await this.reader
      ?.close()
      .catch((error: unknown) => this.log.warn({ err: error }, 'closing the outbox reader failed'));
    this.reader = undefined;
    this.stats.owned = 0;
  }

  private async publish(reader: OutboxReader, records: OutboxRecord[]): Promise<PassResult> {
    return publishPass(records, {
      publish: (batch) => this.broker.publish(batch.map((r) => r.message)),
      confirmed: async (batch) => {
        await this.options.afterConfirm?.(batch);
        await reader.markPublished(batch);
        this.stats.published += batch.length;
        this.stats.batches++;
        this.options.onPublished?.(batch);
      },
      refused: async (record, error) => {
        const refusal = {
          error: messageOf(error),
          retryInMs: Math.min(this.refusedDelayMs * 2 ** record.attempts, REFUSED_MAX_DELAY_MS),
          parkAfter: this.parkAfter,
        };
        this.stats.refused++;
        this.stats.lastError = refusal.error;
        const parked = await reader.markRefused(record, refusal);
        const fields = { err: error, seq: record.seq, topic: record.message.topic, key: record.message.key };
        if (parked) {
          this.stats.parked = await reader.countParked();
          this.log.error(
            { ...fields, attempts: record.attempts + 1 },
            `outbox record ${record.seq} parked after ${record.attempts + 1} refusals; its key's later records wait. Resend it with: tandem outbox retry ${record.seq}`,
          );
        } else {
          const due = Date.now() + refusal.retryInMs;
          if (this.retryDueAt <= Date.now() || due < this.retryDueAt) this.retryDueAt = due;
          this.log.warn(
            { ...fields, retryInMs: refusal.retryInMs },
            'the broker refused an outbox record; retrying it later',
          );
        }
      },
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
