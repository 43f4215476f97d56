// The orders.place command on fastify: its JSON body parser, the same zod schema, 400 on bad input.
import Fastify from 'fastify';
import { PlaceOrder, total } from '../http-overhead/payload.mjs';
import { reportCpuOnSignal } from '../lib/server-process.mjs';

reportCpuOnSignal();

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/commands/orders.place', async (request, reply) => {
  const input = PlaceOrder.safeParse(request.body);
  if (!input.success) return reply.code(400).send({ issues: input.error.issues });
  return { accepted: true, total: total(input.data) };
});

await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening http://127.0.0.1:${app.server.address().port}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
