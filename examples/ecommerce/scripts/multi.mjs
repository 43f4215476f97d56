// Runs the shop as one process per service, the way it is deployed: every process on the
// same broker and PostgreSQL, sync calls over HTTP between them. Only environment variables
// differ from the one-process shop.
//
//   TANDEM_BROKER_URL=amqp://guest:guest@127.0.0.1:5672 TANDEM_STORE_URL=postgres://postgres@127.0.0.1:5432/test \
//     node examples/ecommerce/scripts/multi.mjs [--analytics]         (after npm run build)
//
// --analytics starts the analytics service too, as a sixth process (it is not one of the
// default five: it is the service that joins late and backfills with `tandem replay`).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { analytics: { type: 'boolean', default: false } }, strict: true });
const services = ['orders', 'inventory', 'payments', 'shipping', 'notifications'];
if (values.analytics) services.push('analytics');
const basePort = Number(process.env.SHOP_BASE_PORT ?? 3001);
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

if (!process.env.TANDEM_BROKER_URL || process.env.TANDEM_BROKER_URL.startsWith('memory:')) {
  console.error(
    'multi.mjs: set TANDEM_BROKER_URL to a real broker (amqp://... or kafka://...); memory:// is per process',
  );
  process.exit(2);
}
if (!process.env.TANDEM_STORE_URL?.startsWith('postgres')) {
  console.error('multi.mjs: set TANDEM_STORE_URL to postgres://...; PGlite lives inside one process');
  process.exit(2);
}

const urls = Object.fromEntries(
  services.map((name, i) => [`TANDEM_SERVICE_${name.toUpperCase()}_URL`, `http://127.0.0.1:${basePort + i}`]),
);
const children = services.map((name, i) => {
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      ...urls,
      SHOP_SERVICES: name,
      TANDEM_HTTP_PORT: String(basePort + i),
      TANDEM_HTTP_HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => console.error(`${name} exited (${signal ?? code})`));
  return child;
});
console.error(
  `shop: ${services.map((s, i) => `${s} :${basePort + i}`).join(', ')}; orders at http://127.0.0.1:${basePort}`,
);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGTERM');
  });
}
