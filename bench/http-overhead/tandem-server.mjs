// The same command served by Tandem: contract, service, app and the HTTP transport, with
// logging at warn so neither side pays for log lines. With TANDEM_BENCH_CONSOLE=1 the app also
// serves the console's API and page (`--console` in index.mjs), with nobody watching: what
// turning the console on costs the requests that do not use it.
import { createApp, createLogger, defineCommand, service } from '@tandem/core';
import { httpServer } from '@tandem/transport-http';
import { z } from 'zod';
import { PlaceOrder, total } from './payload.mjs';
import { reportCpuOnSignal } from '../lib/server-process.mjs';

reportCpuOnSignal();

const placeOrder = defineCommand('orders.place', {
  input: PlaceOrder,
  output: z.object({ accepted: z.boolean(), total: z.number() }),
});

const orders = service('orders').command(placeOrder, async (order) => ({ accepted: true, total: total(order) }));

const logger = createLogger({ level: 'warn' });
const mounts = [];
if (process.env.TANDEM_BENCH_CONSOLE === '1') {
  const { consoleApi, consolePage } = await import('@tandem/console');
  // The bench runs with NODE_ENV=production, where the console is on only with a check.
  const authorize = () => true;
  mounts.push(consoleApi({ enabled: true, authorize }), consolePage({ enabled: true, authorize }));
}
const http = httpServer({ port: 0, host: '127.0.0.1', logger, mounts });
const app = createApp({ services: [orders], http, logger });

await app.start();
console.log(`listening ${http.url}`);
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
