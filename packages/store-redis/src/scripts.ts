import type { Redis, Result } from 'ioredis';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** The stored JSON, or null after storing `entry` (the key was free). */
    idempotencyBegin(key: string, entry: string, leaseMs: number): Result<string | null, Context>;
    /** 1 when `lease` still owns the unfinished record and its expiry was extended. */
    idempotencyRenew(key: string, lease: string, leaseMs: number): Result<number, Context>;
    /**
     * 1 when `lease` owned the unfinished record, or the record lapsed and nobody took the key
     * since (then it is written anew with `fingerprint`), and `outcome` is stored for `ttlMs`.
     */
    idempotencyComplete(
      key: string,
      lease: string,
      outcome: string,
      ttlMs: number,
      fingerprint: string,
    ): Result<number, Context>;
    /** Deletes the record only while `lease` owns it and it has no outcome. */
    idempotencyRelease(key: string, lease: string): Result<number, Context>;
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
  // Each script below acts only while ARGV[1] is the record's lease and it has no outcome yet.
  redis.defineCommand('idempotencyRenew', {
    numberOfKeys: 1,
    lua: `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local entry = cjson.decode(v)
if entry.lease ~= ARGV[1] or entry.outcome then return 0 end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`,
  });
  // A record that lapsed (PX removed it) while nobody claimed the key is written again: the run
  // committed, and leaving the key free would let the next request run the command twice.
  redis.defineCommand('idempotencyComplete', {
    numberOfKeys: 1,
    lua: `local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], cjson.encode({ fingerprint = ARGV[4], lease = ARGV[1], outcome = ARGV[2] }), 'PX', ARGV[3])
  return 1
end
local entry = cjson.decode(v)
if entry.lease ~= ARGV[1] or entry.outcome then return 0 end
entry.outcome = ARGV[2]
redis.call('SET', KEYS[1], cjson.encode(entry), 'PX', ARGV[3])
return 1`,
  });
  redis.defineCommand('idempotencyRelease', {
    numberOfKeys: 1,
    lua: `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local entry = cjson.decode(v)
if entry.lease ~= ARGV[1] or entry.outcome then return 0 end
return redis.call('DEL', KEYS[1])`,
  });
  redis.defineCommand('releaseClaim', {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  });
}
