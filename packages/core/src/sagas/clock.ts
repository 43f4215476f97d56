/**
 * The saga clock: finds timeouts that came due and sends each to its saga as a message. A
 * timeout lives in its instance's row (so scheduling one costs no write of its own), and
 * the clock marks it fired in the same transaction that writes its message to the outbox:
 * a crash before the commit leaves it due, one after leaves the message on its way. Any
 * number of app instances may run a clock; each skips the instances another one holds.
 */
import type { Logger } from '../log/logger.js';
import { encodeEvent } from '../messages/envelope.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport, OutgoingMessage } from '../transport/broker.js';
import { sagaContracts } from './messages.js';
import { nextDue } from './runner.js';
import type { SagaInstance } from './saga-store.js';

/** Options of the saga clock (`createApp({ sagaClock })`). */
export interface SagaClockOptions {
  /** How often it looks for due timeouts. Default 1 s: a timeout fires up to this late. */
  pollMs?: number;
  /** Instances read per transaction. Default 100. */
  batch?: number;
}

export class SagaClock {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private failures = 0;
  private readonly pollMs: number;
  private readonly batch: number;

  constructor(
    private readonly store: Store,
    private readonly broker: BrokerTransport,
    private readonly log: Logger,
    options: SagaClockOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1_000;
    this.batch = options.batch ?? 100;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Sends every timeout due now; resolves with how many. */
  async tick(now: () => number = Date.now): Promise<number> {
    let sent = 0;
    for (;;) {
      const { instances, messages } = await this.store.transaction((tx) => this.fire(tx, now()));
      sent += messages;
      if (instances < this.batch || this.stopped) return sent;
    }
  }

  private async fire(tx: unknown, now: number): Promise<{ instances: number; messages: number }> {
    const sagas = this.store.sagas!;
    const due = await sagas.claimDue(tx, now, this.batch);
    const messages: OutgoingMessage[] = [];
    for (const instance of due) {
      messages.push(...this.fired(instance, now));
      const expected = instance.version;
      instance.version = expected + 1;
      instance.updatedAt = now;
      instance.dueAt = nextDue(instance);
      // The instance is held by this transaction: the version can only have moved if the store cannot lock.
      if (!(await sagas.save(tx, instance, expected)))
        throw new Error(`saga clock: instance ${instance.saga}/${instance.id} changed under it`);
    }
    if (messages.length > 0) {
      // Without an outbox, sent before the commit: a crash in between sends it again, with the
      // same id, and the saga's inbox drops the second copy.
      if (this.store.outbox) await this.store.outbox.append(tx, messages);
      else await this.broker.publish(messages);
    }
    return { instances: due.length, messages: messages.length };
  }

  private fired(instance: SagaInstance, now: number): OutgoingMessage[] {
    const contract = sagaContracts(instance.saga).timeout;
    const out: OutgoingMessage[] = [];
    for (const [name, timeout] of Object.entries(instance.data.timeouts)) {
      if (timeout.fired || timeout.dueAt > now) continue;
      timeout.fired = true;
      out.push(
        encodeEvent(
          contract,
          { saga: instance.saga, id: instance.id, name, token: timeout.token, dueAt: timeout.dueAt },
          {
            // The token is unique per scheduling: a second send of one timeout is a duplicate to the inbox.
            id: timeout.token,
            key: instance.id,
            source: `tandem.saga-clock`,
            ...(instance.data.correlationId !== undefined ? { correlationId: instance.data.correlationId } : {}),
          },
        ),
      );
    }
    return out;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().then(
        () => {
          this.failures = 0;
          this.schedule(this.pollMs);
        },
        (error: unknown) => {
          this.failures++;
          // Logged once per run of failures, then quietly retried: the store may be restarting.
          if (this.failures === 1) this.log.warn({ err: error }, 'saga clock: could not send due timeouts; retrying');
          this.schedule(Math.min(this.pollMs * 2 ** Math.min(this.failures, 5), 30_000));
        },
      );
    }, delayMs);
    this.timer.unref();
  }
}
