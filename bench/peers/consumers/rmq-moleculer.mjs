// Moleculer on its AMQP transporter: a service event handler for a balanced event group
// (disableBalancer, so RabbitMQ's queue does the balancing), validating with zod; the
// transporter acks after the handler resolves.
import { ServiceBroker } from 'moleculer';
import { countHandled, name, prefetch, ready, url, validate } from './drain-counter.mjs';

const broker = new ServiceBroker({
  namespace: name,
  nodeID: `${name}-consumer`,
  logger: false,
  metrics: false,
  tracing: false,
  disableBalancer: true,
  transporter: { type: 'AMQP', options: { url, prefetch, autoDeleteQueues: 300_000 } },
});
broker.createService({
  name: 'orders',
  events: {
    'orders.placed'(ctx) {
      validate(ctx.params);
      countHandled();
    },
  },
});
await broker.start();
ready(name);
process.on('SIGTERM', () => void broker.stop().then(() => process.exit(0)));
