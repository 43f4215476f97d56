import { ConfigError, UnavailableError } from '@tandem/core';

/** Redis's answers to a refused login: ACL (WRONGPASS), a password needed (NOAUTH), and pre-6 servers' wording. */
const AUTH_REPLY = /^(WRONGPASS|NOAUTH|ERR invalid password|ERR invalid username-password)/;

/**
 * What connect() fails with when Redis cannot be used: one ConfigError or UnavailableError
 * naming the setting the URL came from (TANDEM_STORE_URL) and the fix. ioredis itself only
 * says "Connection is closed."; the reason is the last 'error' it emitted.
 */
export function redisStartError(error: unknown, setting: string, where: string): Error {
  const message = (error as Error).message ?? String(error);
  const code = (error as { code?: unknown }).code;
  if (AUTH_REPLY.test(message)) {
    return new ConfigError(
      `${setting}: Redis at ${where} refused the credentials (${message.split(' ')[0]}); fix the user and password in the URL (redis://user:password@host:6379)`,
      { cause: error },
    );
  }
  const why = typeof code === 'string' ? code : message;
  return new UnavailableError(
    `${setting}: cannot reach Redis at ${where} (${why}); start it, or fix the host and port in the URL`,
    { cause: error },
  );
}
