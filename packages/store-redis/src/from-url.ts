import type { Store } from '@tandem/core';
import { redisStore } from './store.js';

/** TANDEM_STORE_URL for this package: `redis://[user:pass@]host:6379/db` or `rediss://...`; `?prefix=` sets the key prefix. */
export function storeFromUrl(url: URL, context: { setting?: string } = {}): Store {
  const prefix = url.searchParams.get('prefix') ?? undefined;
  const connection = new URL(url.href);
  connection.searchParams.delete('prefix');
  return redisStore({
    url: connection.href,
    setting: context.setting ?? 'TANDEM_STORE_URL',
    ...(prefix !== undefined ? { keyPrefix: prefix } : {}),
  });
}
