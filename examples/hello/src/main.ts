import { runMain, stopOnSignals } from '@tandem/core';
import { buildApp } from './app.js';

await runMain(async () => {
  const { app, server } = await buildApp();
  // The app has logged where it listens; this says what to try there.
  await app.start();
  const url = server.url!;
  console.log(`try it:
  place an order:  curl -s -X POST ${url}/commands/orders.place -H 'content-type: application/json' -d '{"customer":"ada","items":[{"sku":"tea","qty":2}]}'
  see its status:  curl -s '${url}/queries/shipping.get?orderId=<orderId>'`);

  stopOnSignals(app);
});
