import { runMain, stopOnSignals } from '@tandem/core';
import { buildApp } from './app.js';

await runMain(async () => {
  const { app, config } = await buildApp();
  await app.start();
  console.log(`hello example listening on http://127.0.0.1:${config.httpPort}
  place an order:  curl -s -X POST http://127.0.0.1:${config.httpPort}/commands/orders.place -H 'content-type: application/json' -d '{"customer":"ada","items":[{"sku":"tea","qty":2}]}'
  see its status:  curl -s 'http://127.0.0.1:${config.httpPort}/queries/shipping.get?orderId=<orderId>'`);

  stopOnSignals(app);
});
