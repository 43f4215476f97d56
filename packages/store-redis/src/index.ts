export { RedisStore, redisStore } from './store.js';
export type { RedisStoreOptions } from './store.js';
export { RedisTx } from './redis-tx.js';
export { storeFromUrl } from './from-url.js';
