// Fills each RabbitMQ target's queue with the same order event, in that framework's own
// wire format and with its own producer where it has one, before the consumer is timed.
// `tandem-structured`: Tandem's producer with contentMode 'structured' (one JSON body).
import { defineEvent, encodeEvent, silentLogger } from '@tandem/core';
import { RabbitMQTransport } from '@tandem/transport-rabbitmq';
import { ServiceBroker } from 'moleculer';
import { PlaceOrder } from '../http-overhead/payload.mjs';

const BATCH = 500;
const order = {
  customerId: 'c-42',
  items: [
    { sku: 'sku-1', quantity: 1, price: 9.5 },
    { sku: 'sku-2', quantity: 2, price: 19 },
    { sku: 'sku-3', quantity: 3, price: 4.25 },
  ],
};
const OrderPlaced = defineEvent('orders.placed', { data: PlaceOrder });

async function inBatches(n, sendOne, settle) {
  for (let sent = 0; sent < n; sent += BATCH) {
    const pending = [];
    for (let i = sent; i < Math.min(n, sent + BATCH); i++) pending.push(sendOne(i));
    await Promise.all(pending);
    await settle?.();
  }
}

/** Persistent messages straight to the queue on a confirm channel (raw and NestJS forms). */
async function toQueue(channel, queue, n, content) {
  await inBatches(
    n,
    () => {
      channel.sendToQueue(queue, content, { persistent: true, contentType: 'application/json' });
    },
    () => channel.waitForConfirms(),
  );
}

/** Tandem's own producer, writing CloudEvents in the given content mode (binary or structured). */
async function tandemFill(url, name, n, contentMode) {
  const transport = new RabbitMQTransport({ url, prefix: name, contentMode, logger: silentLogger });
  await transport.connect();
  try {
    for (let sent = 0; sent < n; sent += BATCH) {
      const size = Math.min(BATCH, n - sent);
      await transport.publish(
        Array.from({ length: size }, (_, i) => encodeEvent(OrderPlaced, order, { source: 'bench', key: `k${i % 64}` })),
      );
    }
  } finally {
    await transport.close();
  }
}

export function rmqFillers(connection, url) {
  let channel;
  const confirmChannel = async () => (channel ??= await connection.createConfirmChannel());
  return {
    raw: async (name, n) => toQueue(await confirmChannel(), name, n, Buffer.from(JSON.stringify(order))),
    nest: async (name, n) =>
      toQueue(await confirmChannel(), name, n, Buffer.from(JSON.stringify({ pattern: 'orders.placed', data: order }))),
    tandem: (name, n) => tandemFill(url, name, n, 'binary'),
    'tandem-structured': (name, n) => tandemFill(url, name, n, 'structured'),
    moleculer: (name, n) => moleculerFill(name, n, {}),
    // Moleculer's transporter sends transient messages unless told otherwise (messageOptions {}):
    // the broker keeps them off disk, which a drain of persistent ones does not get.
    'moleculer-persistent': (name, n) => moleculerFill(name, n, { persistent: true }),
  };

  async function moleculerFill(name, n, messageOptions) {
    const broker = new ServiceBroker({
      namespace: name,
      nodeID: `${name}-producer`,
      logger: false,
      metrics: false,
      tracing: false,
      disableBalancer: true,
      transporter: { type: 'AMQP', options: { url, autoDeleteQueues: 300_000, messageOptions } },
    });
    // Moleculer declares its balanced-event queue only once its services have started, which
    // can be after a short-lived consumer stopped; declared here the same way, so the fill lands.
    const declare = await connection.createChannel();
    await declare.assertQueue(`MOL-${name}.EVENTB.orders.orders.placed`, { expires: 300_000 });
    await declare.close();
    await broker.start();
    try {
      await inBatches(n, () => broker.emit('orders.placed', order, { groups: ['orders'] }));
    } finally {
      await broker.stop();
    }
  }
}
