/**
 * What the integration suites share: the broker URL, the availability check, a unique
 * name prefix per run, and clean-up of everything the transports under test declared.
 */
import { connect } from 'amqplib';
import { serviceAvailable, probeTcp, uniqueName } from '@tandem/core/testing';
import { silentLogger } from '@tandem/core';
import { RabbitMQTransport, type RabbitMQTransportOptions } from '../../src/index.js';

export const RABBITMQ_URL = process.env.TANDEM_TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function rabbitAvailable(): Promise<boolean> {
  const url = new URL(RABBITMQ_URL);
  return serviceAvailable(`RabbitMQ at ${url.host}`, () => probeTcp(url.hostname, Number(url.port || 5672)));
}

/** Creates transports with a prefix unique to this run and remembers them for clean-up. */
export function transportFactory(options: RabbitMQTransportOptions = {}) {
  const prefix = uniqueName('tandem-test');
  const created: RabbitMQTransport[] = [];
  return {
    prefix,
    create(extra: RabbitMQTransportOptions = {}): RabbitMQTransport {
      const transport = new RabbitMQTransport({
        url: RABBITMQ_URL,
        prefix,
        logger: silentLogger,
        ...options,
        ...extra,
      });
      created.push(transport);
      return transport;
    },
    /** Closes every transport and deletes every queue and exchange they declared. */
    async cleanUp(url = RABBITMQ_URL): Promise<void> {
      await Promise.allSettled(created.map((t) => t.close()));
      const queues = new Set<string>();
      const exchanges = new Set<string>();
      for (const t of created) {
        const names = t.declared();
        names.queues.forEach((q) => queues.add(q));
        names.exchanges.forEach((x) => exchanges.add(x));
      }
      await deleteObjects(url, [...queues], [...exchanges]);
    },
  };
}

export async function deleteObjects(url: string, queues: string[], exchanges: string[]): Promise<void> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
    for (const exchange of exchanges) await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}
