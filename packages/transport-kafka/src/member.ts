/**
 * One kafkajs consumer, that is one member of the group, with where it is in its life as its
 * events tell, so that it can be stopped for good. kafkajs leaves two ways for a consumer
 * told to stop to come back on its own, and fetch records for a subscription that no longer
 * handles them while holding their partitions:
 *
 * - disconnect() while the consumer (re)starts (connecting or joining) stops nothing: the
 *   start goes on, and a consumer whose join then fails is restarted after a retriable error.
 * - a consumer that crashes while it stops is restarted after a retriable error: its restart
 *   timer is set after stop() cleared it.
 *
 * So a retired member is never restarted (kafkajs's restartOnFailure), and is disconnected
 * only while it runs: at once when it does, else once its start ends (joined: disconnected
 * then; crashed: kafkajs already did). A retired member that still delivers a batch after
 * that is crashed by it.
 */
import type { Consumer, ConsumerConfig, ConsumerRunConfig, EachBatchPayload, Kafka } from 'kafkajs';

/** kafkajs's default retries for a consumer; the client's other retry settings apply. */
const CONSUMER_RETRIES = 5;

type State = 'new' | 'starting' | 'running' | 'stopped';

export class Member {
  readonly consumer: Consumer;
  /** Resolves once the member is stopped and cannot come back. */
  readonly stopped: Promise<void>;
  private state: State = 'new';
  private retired = false;
  private disconnecting: Promise<void> | undefined;
  private gone!: () => void;

  constructor(kafka: Kafka, config: ConsumerConfig) {
    this.stopped = new Promise<void>((resolve) => (this.gone = resolve));
    this.consumer = kafka.consumer({
      ...config,
      retry: {
        retries: CONSUMER_RETRIES,
        ...config.retry,
        restartOnFailure: async () => !this.retired,
      },
    });
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    // kafkajs marks its runner as running only after this event: stopping it before then is
    // the first trap above (and sends no LeaveGroup), so the member counts as running a turn later.
    this.consumer.on(GROUP_JOIN, () =>
      setImmediate(() => {
        if (this.state === 'stopped') return;
        this.state = 'running';
        if (this.retired) void this.disconnect();
      }),
    );
    this.consumer.on(CRASH, ({ payload }) => {
      if (!payload.restart) return this.stop();
      this.state = 'starting';
      // Retired between kafkajs's restartOnFailure and this event: its restart timer is set
      // right after it, and a disconnect now clears it.
      if (this.retired) setImmediate(() => void this.disconnect());
    });
  }

  /** Connects, subscribes and runs the consumer; rejects when it cannot (it is stopped then). */
  async start(topics: string[], fromBeginning: boolean, run: ConsumerRunConfig): Promise<void> {
    this.state = 'starting';
    const eachBatch = run.eachBatch!;
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topics, fromBeginning });
      if (this.retired) return this.disconnect();
      await this.consumer.run({ ...run, eachBatch: (payload) => this.batch(payload, eachBatch) });
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  /**
   * Stops the member for good: resolves once it has left (or never joined) the group.
   * Safe to call more than once.
   */
  retire(): Promise<void> {
    this.retired = true;
    if (this.state === 'running') void this.disconnect();
    else if (this.state === 'new') this.stop();
    return this.stopped;
  }

  private batch(payload: EachBatchPayload, handle: (payload: EachBatchPayload) => Promise<void>): Promise<void> {
    if (!this.retired) return handle(payload);
    if (this.state !== 'stopped') return Promise.resolve(); // leaving: its records are redelivered
    // Not retriable (kafkajs reads the flag), so kafkajs neither retries the batch nor restarts the consumer.
    throw Object.assign(new Error('kafka: a consumer the transport retired fetched records; stopping it'), {
      retriable: false,
    });
  }

  private disconnect(): Promise<void> {
    this.disconnecting ??= this.consumer
      .disconnect()
      .catch(() => undefined)
      .then(() => this.stop());
    return this.disconnecting;
  }

  private stop(): void {
    this.state = 'stopped';
    this.gone();
  }
}
