import type { Redis, Result } from 'ioredis';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** The stored JSON, or null after storing `entry` (the key was free). */
    idempotencyBegin(key: string, entry: string, ttlMs: number): Result<string | null, Context>;
    idempotencyComplete(key: string, response: string, ttlMs: number): Result<number, Context>;
    idempotencyRelease(key: string): Result<number, Context>;
    /** Deletes `key` only while it still holds `claim`. */
    releaseClaim(key: string, claim: string): Result<number, Context>;
  }
}

/** The Lua scripts the stores rely on for atomic check-and-set; defined once per client. */
export function defineScripts(redis: Redis): void {
  if (typeof redis.idempotencyBegin === 'function') return;
  redis.defineCommand('idempotencyBegin', {
    numberOfKeys: 1,
    lua: `local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`,
  });
  redis.defineCommand('idempotencyComplete', {
    numberOfKeys: 1,
    lua: `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local entry = cjson.decode(v)
entry.response = cjson.decode(ARGV[1])
redis.call('SET', KEYS[1], cjson.encode(entry), 'PX', ARGV[2])
return 1`,
  });
  redis.defineCommand('idempotencyRelease', {
    numberOfKeys: 1,
    lua: `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if cjson.decode(v).response then return 0 end
return redis.call('DEL', KEYS[1])`,
  });
  redis.defineCommand('releaseClaim', {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  });
}
