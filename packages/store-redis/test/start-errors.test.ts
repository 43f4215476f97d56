import { ConfigError, fromEnv, UnavailableError, type Store } from '@tandem/core';
import { probeTcp, serviceAvailable } from '@tandem/core/testing';
import { describe, expect, it } from 'vitest';

const available = await serviceAvailable('Redis at 127.0.0.1:6379', () => probeTcp('127.0.0.1', 6379));

async function startFailure(url: string): Promise<Error> {
  const store = (await fromEnv({ TANDEM_STORE_URL: url, TANDEM_LOG_LEVEL: 'silent' })).store as Store;
  try {
    await store.connect!();
  } catch (error) {
    return error as Error;
  } finally {
    await store.close?.();
  }
  throw new Error(`connect() to ${url} succeeded`);
}

describe('store-redis start-up errors', () => {
  it('says which Redis cannot be reached, naming TANDEM_STORE_URL', async () => {
    const error = await startFailure('redis://127.0.0.1:1/0');
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe(
      'TANDEM_STORE_URL: cannot reach Redis at 127.0.0.1:1 (ECONNREFUSED); start it, or fix the host and port in the URL',
    );
  });

  it.skipIf(!available)('fails at once on refused credentials, naming neither the user nor the password', async () => {
    const started = Date.now();
    const error = await startFailure('redis://tandem_no_such_user:s3cr3t@127.0.0.1:6379/0');
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      'TANDEM_STORE_URL: Redis at 127.0.0.1:6379 refused the credentials (WRONGPASS); fix the user and password in the URL (redis://user:password@host:6379)',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
