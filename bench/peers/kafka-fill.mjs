// Fills a Kafka topic with the order event before a consumer is timed: in Tandem's wire
// format (CloudEvents binary mode through the transport, or structured mode with
// `contentMode: 'structured'`) for Tandem, as plain JSON records
// (kafkajs's producer) for the raw and NestJS consumers. 64 keys, 1,000 records per send, so
// fetches return full record batches.
import { Kafka, logLevel } from 'kafkajs';
import { defineEvent, encodeEvent, silentLogger } from '@tandem/core';
import { KafkaTransport } from '@tandem/transport-kafka';
import { body, PlaceOrder } from '../http-overhead/payload.mjs';

const BATCH = 1000;
const order = JSON.parse(body);

/** Sends `events` order events to `topic`; `tandem` picks Tandem's wire format, `contentMode` its mode. */
export async function fillKafka({ brokers, topic, events, tandem, contentMode = 'binary' }) {
  if (tandem) {
    const OrderPlaced = defineEvent('orders.placed', { data: PlaceOrder, topic });
    // The mock cluster has no CreateTopics and no controller for the idempotent producer.
    const transport = new KafkaTransport({
      brokers,
      clientId: 'bench-fill',
      createTopics: false,
      idempotent: false,
      contentMode,
      logger: silentLogger,
    });
    await transport.connect();
    for (let sent = 0; sent < events; sent += BATCH) {
      const size = Math.min(BATCH, events - sent);
      await transport.publish(
        Array.from({ length: size }, (_, i) =>
          encodeEvent(OrderPlaced, order, { source: 'bench', key: `k${(sent + i) % 64}` }),
        ),
      );
    }
    await transport.close();
    return;
  }
  const producer = new Kafka({ brokers, clientId: 'bench-fill', logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const value = JSON.stringify(order);
  for (let sent = 0; sent < events; sent += BATCH) {
    const size = Math.min(BATCH, events - sent);
    await producer.send({
      topic,
      messages: Array.from({ length: size }, (_, i) => ({ key: `k${(sent + i) % 64}`, value })),
    });
  }
  await producer.disconnect();
}
