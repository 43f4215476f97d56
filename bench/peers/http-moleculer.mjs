// The orders.place command on Moleculer: moleculer-web's API gateway routes
// POST /commands/orders.place to the orders.place action, which validates with the same
// zod schema. One node, no transporter (the gateway calls the local action).
import { Errors, ServiceBroker } from 'moleculer';
import ApiGateway from 'moleculer-web';
import { PlaceOrder, total } from '../http-overhead/payload.mjs';
import { reportCpuOnSignal } from '../lib/server-process.mjs';

reportCpuOnSignal();

const broker = new ServiceBroker({ logger: false, transporter: null, metrics: false, tracing: false });
broker.createService({
  name: 'orders',
  actions: {
    place(ctx) {
      const input = PlaceOrder.safeParse(ctx.params);
      if (!input.success) throw new Errors.ValidationError('invalid order', 'INVALID', input.error.issues);
      return { accepted: true, total: total(input.data) };
    },
  },
});
const gateway = broker.createService({
  name: 'api',
  mixins: [ApiGateway],
  settings: {
    port: 0,
    ip: '127.0.0.1',
    logRequest: null,
    logResponse: null,
    routes: [
      {
        path: '/commands',
        mappingPolicy: 'restrict',
        aliases: { 'POST /orders.place': 'orders.place' },
        bodyParsers: { json: { limit: '1mb' } },
      },
    ],
  },
});

await broker.start();
console.log(`listening http://127.0.0.1:${gateway.server.address().port}`);
process.on('SIGTERM', () => void broker.stop().then(() => process.exit(0)));
