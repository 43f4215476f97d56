import { BrokerError } from '../errors/errors.js';
import type { OutgoingMessage } from '../transport/broker.js';
import { type MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';

/**
 * A broker that refuses the messages `refuses` picks, as one refuses an oversized or
 * unroutable message: it sends a batch in order and stops at the first refused message,
 * so what came before it is delivered and nothing after it is.
 */
export class RefusingTransport extends MemoryTransport {
  constructor(
    broker: MemoryBroker,
    private readonly refuses: (message: OutgoingMessage) => boolean,
  ) {
    super({ broker });
  }

  override async publish(messages: OutgoingMessage[]): Promise<void> {
    for (const message of messages) {
      if (this.refuses(message)) throw new BrokerError(`the broker refused a message on ${message.topic}: too large`);
      await super.publish([message]);
    }
  }
}
