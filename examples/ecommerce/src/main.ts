import { consoleApi, consolePage } from '@tandem/console';
import { runMain, stopOnSignals } from '@tandem/core';
import { buildShop } from './shop.js';
import { shopProcessName, startTracing, tracingWanted } from './tracing.js';

await runMain(async () => {
  // Each order's trace, kept in memory for the console's Traces view (SHOP_TRACING=off: none).
  const spans = tracingWanted(process.env) ? startTracing(shopProcessName(process.env)) : undefined;
  // The console (off when NODE_ENV=production): the page at /_tandem/, its API at /_tandem/api.
  const { app, config, services } = await buildShop(process.env, {
    mounts: [consoleApi(spans ? { spans } : {}), consolePage()],
  });
  await app.start();
  const base = `http://127.0.0.1:${config.httpPort}`;
  console.log(`shop (${services.join(', ')}) listening on ${base}
  place an order:  curl -s -X POST ${base}/commands/orders.place -H 'content-type: application/json' \\
                     -d '{"customer":"ada","email":"ada@example.com","card":"4242-4242-4242-4242","items":[{"sku":"tea","qty":2}]}'
  follow it:       curl -s ${base}/orders/<orderId>
  notifications:   curl -s '${base}/queries/notifications.list?orderId=<orderId>'
  console:         ${base}/_tandem/`);

  stopOnSignals(app);
});
