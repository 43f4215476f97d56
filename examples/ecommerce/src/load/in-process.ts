/**
 * The shop in this process on the embedded defaults (in-process broker, PGlite in a
 * temporary folder), traced into a span ring its console serves, as `npm run shop` runs it.
 * Its CPU is this process's, shared with the load itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleApi } from '@tandem/console';
import { createLogger, type Invocation, type Middleware } from '@tandem/core';
import type { Queryable } from '@tandem/store-postgres';
import { buildShop } from '../shop.js';
import { startTracing } from '../tracing.js';
import { ownCpuMs } from './cpu.js';
import { outboxPublishedAt } from './outbox-times.js';
import { sqlStatusSource } from './shipped.js';
import type { ShopTarget } from './target.js';

export const IN_PROCESS_LABEL = 'shop + load (one process)';

export async function startInProcessShop(): Promise<ShopTarget> {
  const handled = new Map<string, number>();
  const countEvents: Middleware<Invocation> = async (inv, next) => {
    const result = await next();
    if (inv.registration.kind === 'event')
      handled.set(inv.registration.service, (handled.get(inv.registration.service) ?? 0) + 1);
    return result;
  };
  const spans = startTracing('shop');
  const dir = mkdtempSync(join(tmpdir(), 'tandem-shop-load-'));
  const shop = await buildShop(
    { ...process.env, TANDEM_STORE_URL: `pglite://${dir}`, TANDEM_HTTP_PORT: '0', TANDEM_HTTP_HOST: '127.0.0.1' },
    { logger: createLogger({ level: 'warn' }), middleware: [countEvents], mounts: [consoleApi({ spans })] },
  );
  await shop.app.start();
  const url = shop.server.url!;
  const store = shop.config.store!;
  const query = <R>(sql: string, params: unknown[]) =>
    store.transaction(async (tx) => (await (tx as Queryable).query(sql, params)).rows as R[]);
  return {
    describe: 'the shop in this process: in-process broker, PGlite',
    url,
    consoles: [{ process: 'shop', url }],
    cpu: async () => new Map([[IN_PROCESS_LABEL, new Map([[process.pid, ownCpuMs()]])]]),
    status: sqlStatusSource(query),
    publishedAt: outboxPublishedAt(query, 'public.tandem_outbox'),
    eventsHandled: () => handled,
    async deadLetters() {
      const access = shop.app.broker.deadLetters;
      if (!access) return undefined;
      const out: Record<string, number> = {};
      for (const group of shop.services) out[group] = (await access.list(group)).length;
      return out;
    },
    async close() {
      await shop.app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
