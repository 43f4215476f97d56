/**
 * Counts, outside the consumer process, the runs of a message that started and never
 * ended: what the runtime needs (as `deliveryCount`) to dead-letter a message that takes
 * its consumer down every time it runs.
 *
 * The broker's own counts cannot tell that. A classic queue only flags a redelivery; a
 * quorum queue's `x-delivery-count` goes up for every message a consumer held when its
 * channel closed, and with a prefetch window most of those never reached a handler: a
 * poison message's neighbours would be counted with it and dead-lettered beside it. A
 * graceful close that hands prefetched messages back counts too.
 *
 * So the transport keeps the count itself, for redelivered messages only (a first
 * delivery cannot have taken anything down before): before the handler starts, a marker
 * is put in a queue of the message's own, `<prefix>.runs.<group>.<id>`, and confirmed;
 * once the handler returned, the queue is emptied and deleted. A run that died leaves its
 * marker, so the queue's length at the next delivery is the number of runs in a row that
 * never ended. Tracked runs of one consumer take turns (see
 * `exclusive`), so one crash is charged to one message, not to every redelivered message
 * that happened to be running. A first delivery is not tracked (that would cost a queue
 * per message), so the crash that first made a message a suspect is not counted.
 */
import { createHash } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import type { AmqpConnection } from './connection.js';
import { checkName } from './names.js';
import type { ResolvedOptions } from './options.js';

/** A ledger nobody redeclared for a day belongs to a message that is gone: RabbitMQ removes it. */
const LEDGER_QUEUE = { durable: true, arguments: { 'x-queue-type': 'classic', 'x-expires': 86_400_000 } };
const MARKER = Buffer.alloc(0);

/** One redelivered message's ledger. */
export interface Ledger {
  /** Runs of this message in a row that started and never ended. */
  readonly earlier: number;
  /** Records that a run starts (confirmed); false when RabbitMQ could not record it. */
  mark(): Promise<boolean>;
  /** A run ended, whatever the handler decided: the message is not in a crash loop. */
  end(): Promise<void>;
}

interface Open<C> {
  model: ChannelModel;
  channel: Promise<C>;
  open: boolean;
}

export class RunLedger {
  private main: Open<ConfirmChannel> | undefined;
  private cleanup: Open<Channel> | undefined;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly options: ResolvedOptions,
    private readonly group: string,
  ) {}

  /** The ledger of `messageId`, declared if new; undefined when RabbitMQ could not be asked. */
  async open(messageId: string): Promise<Ledger | undefined> {
    const queue = this.nameOf(messageId);
    try {
      const { messageCount } = await (await this.channel('main')).assertQueue(queue, LEDGER_QUEUE);
      return { earlier: messageCount, mark: () => this.mark(queue), end: () => this.end(queue) };
    } catch (error) {
      this.warn(error, queue, 'could not read the run ledger of a redelivered message; its run is not counted');
      return undefined;
    }
  }

  private async mark(queue: string): Promise<boolean> {
    try {
      const channel = await this.channel('main');
      await new Promise<void>((resolve, reject) =>
        channel.sendToQueue(queue, MARKER, { persistent: true }, (error: unknown) =>
          error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
        ),
      );
      return true;
    } catch (error) {
      this.warn(error, queue, 'could not record the start of a redelivered message; this run is not counted');
      return false;
    }
  }

  private async end(queue: string): Promise<void> {
    try {
      await (await this.channel('main')).purgeQueue(queue);
      this.remove(queue);
    } catch (error) {
      this.warn(error, queue, 'could not record the end of a run; the next delivery of its message counts it');
    }
  }

  /** Deletes an emptied ledger off the critical path; if a new run marked it meanwhile, it stays. */
  private remove(queue: string): void {
    this.channel('cleanup')
      .then((channel) => channel.deleteQueue(queue, { ifEmpty: true }))
      .catch((error: unknown) =>
        this.options.log.debug({ err: error, queue }, 'rabbitmq: an empty run ledger was not deleted; it expires'),
      );
  }

  private warn(error: unknown, queue: string, what: string): void {
    this.options.log.warn({ err: error, group: this.group, queue }, `rabbitmq: ${what} towards crashLoopLimit`);
  }

  private channel(kind: 'main'): Promise<ConfirmChannel>;
  private channel(kind: 'cleanup'): Promise<Channel>;
  private async channel(kind: 'main' | 'cleanup'): Promise<Channel> {
    const model = await this.connection.ready(this.options.publishTimeoutMs);
    const current = this[kind];
    if (current?.open && current.model === model) return current.channel;
    const holder: Open<Channel> = {
      model,
      open: true,
      channel: kind === 'main' ? model.createConfirmChannel() : model.createChannel(),
    };
    holder.channel.then(
      (channel) => {
        // A 406 from deleting a queue that is not empty closes this channel: open another next time.
        channel.on('error', () => undefined);
        channel.on('close', () => (holder.open = false));
      },
      () => (holder.open = false),
    );
    if (kind === 'main') this.main = holder as Open<ConfirmChannel>;
    else this.cleanup = holder;
    return holder.channel;
  }

  /** Closes this ledger's channels; markers already written stay where they are. */
  async close(): Promise<void> {
    const open = [this.main, this.cleanup].filter((holder) => holder?.open);
    this.main = this.cleanup = undefined;
    await Promise.all(
      open.map((holder) =>
        holder!.channel.then(
          (channel) => channel.close().catch(() => undefined),
          () => undefined,
        ),
      ),
    );
  }

  private nameOf(messageId: string): string {
    const name = this.options.names.runLedger(this.group, messageId);
    if (Buffer.byteLength(name) <= 255) return name;
    // An id from a foreign publisher can be of any length; its hash is short and just as unique.
    return checkName(
      'queue',
      this.options.names.runLedger(this.group, createHash('sha256').update(messageId).digest('hex')),
    );
  }
}
