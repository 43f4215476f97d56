import { createServer, type AddressInfo } from 'node:net';
import { fromEnv, silentLogger, UnavailableError } from '@tandem/core';
import { describe, expect, it } from 'vitest';
import { brokerFromUrl } from '../src/index.js';

/** A port nothing listens on: one just closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('kafka start-up errors', () => {
  it('names TANDEM_BROKER_URL and the brokers when none answers', { timeout: 30_000 }, async () => {
    const port = await closedPort();
    const transport = brokerFromUrl(`kafka://127.0.0.1:${port}?idempotent=false&connectionTimeout=500`, {
      setting: 'TANDEM_BROKER_URL',
      logger: silentLogger,
      kafka: { connectionTimeout: 500, retry: { retries: 0 } },
    });
    const error = (await transport.connect().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toMatch(
      new RegExp(`^TANDEM_BROKER_URL: cannot connect to kafka at 127\\.0\\.0\\.1:${port} \\(`),
    );
    await transport.close();
  });

  it('names TANDEM_BROKER_URL for a URL it rejects, without the password', async () => {
    const error = (await fromEnv({ TANDEM_BROKER_URL: 'kafka://u:s3cr3t@k1:9092?lingerMs=soon' }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toBe("TANDEM_BROKER_URL: kafka URL: parameter lingerMs: expected a whole number, got 'soon'");
  });
});
