import { silentLogger, type Logger } from '../log/logger.js';
import type { OutboxReader, OutboxRecord, OutboxStore } from '../stores/store.js';
import type { BrokerTransport, TransportHealth } from '../transport/broker.js';

export interface RelayOptions {
  /** Most records published per broker call. Default 500. */
  batchSize?: number;
  /** Fallback poll when no notification arrives. Default 1 s. */
  pollIntervalMs?: number;
  /** How often the relay takes or gives up key ranges as instances come and go. Default 2 s. */
  balanceIntervalMs?: number;
  /** First wait after a failure, doubled up to 10 s. Default 200 ms. */
  retryDelayMs?: number;
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

export interface RelayStats {
  published: number;
  batches: number;
  failures: number;
  /** Key ranges this relay owns now. */
  owned: number;
  lastError?: string;
}

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
 * because one range has one relay at a time and a batch is retried whole.
 */
export function outboxRelay(outbox: OutboxStore, broker: BrokerTransport, options: RelayOptions = {}): OutboxRelay {
  return new Relay(outbox, broker, options);
}

class Relay implements OutboxRelay {
  readonly stats: RelayStats = { published: 0, batches: 0, failures: 0, owned: 0 };
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
    return {
      ok,
      detail: `owns ${this.stats.owned} key ranges; published ${this.stats.published}${this.stats.lastError ? `; last error: ${this.stats.lastError}` : ''}`,
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
          nextBalance = Date.now() + this.balanceMs;
        }
        const records = await this.reader.claim(this.batchSize);
        if (records.length === 0) {
          if (this.stopping) break;
          await Promise.race([
            this.reader.waitForAppend(Math.max(1, Math.min(this.pollMs, nextBalance - Date.now()))),
            this.stopped,
          ]);
          continue;
        }
        await this.broker.publish(records.map((r) => r.message));
        await this.options.afterConfirm?.(records);
        await this.reader.markPublished(records);
        this.stats.published += records.length;
        this.stats.batches++;
        this.options.onPublished?.(records);
        delay = this.retryMs;
      } catch (error) {
        this.stats.failures++;
        this.stats.lastError = error instanceof Error ? error.message : String(error);
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
}
