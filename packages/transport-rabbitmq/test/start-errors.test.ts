/**
 * What connect() says when RabbitMQ cannot be used: refused credentials and a vhost that
 * does not exist fail at once with a ConfigError, an unreachable broker with an
 * UnavailableError; each names TANDEM_BROKER_URL and none shows the user or the password.
 * Health, which /health/ready serves to anyone, names no user either.
 */
import { ConfigError, fromEnv, UnavailableError, type BrokerTransport } from '@tandem/core';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedBrokerUse } from './support/broker-lock.js';
import { RABBITMQ_URL, rabbitAvailable } from './support/rabbitmq.js';

const available = await rabbitAvailable();
const opened: BrokerTransport[] = [];

async function broker(url: string): Promise<BrokerTransport> {
  const transport = (await fromEnv({ TANDEM_BROKER_URL: url, TANDEM_LOG_LEVEL: 'silent' })).broker;
  opened.push(transport);
  return transport;
}

function withCredentials(user: string, password: string, path = '/'): string {
  const url = new URL(RABBITMQ_URL);
  url.username = user;
  url.password = password;
  url.pathname = path;
  return url.toString();
}

describe.skipIf(!available)('rabbitmq start-up errors', () => {
  sharedBrokerUse();
  afterAll(() => Promise.allSettled(opened.map((t) => t.close())));

  it('fails at once on a wrong password, saying the credentials were refused', async () => {
    const transport = await broker(withCredentials('guest', 'wrong-s3cr3t'));
    const started = Date.now();
    const error = (await transport.connect().catch((e: unknown) => e)) as Error;
    // connectTimeoutMs is 10 s: well under it means no retrying until the timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /^TANDEM_BROKER_URL: rabbitmq at amqp:\/\/\*\*\*@[^ ]+ refused the credentials \(403 ACCESS_REFUSED\); fix the user and password/,
    );
    expect(error.message).not.toMatch(/s3cr3t|guest|unreachable/);
  });

  it('fails at once on a vhost that does not exist, naming it', async () => {
    const transport = await broker(withCredentials('guest', 'guest', '/tandem-no-such-vhost'));
    const started = Date.now();
    const error = (await transport.connect().catch((e: unknown) => e)) as Error;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^TANDEM_BROKER_URL: rabbitmq at .* would not open vhost 'tandem-no-such-vhost'/);
  });

  it('calls a broker that does not answer unreachable, naming TANDEM_BROKER_URL but not the user', async () => {
    const transport = await broker('amqp://guest:s3cr3t@127.0.0.1:1/?connectTimeoutMs=500');
    const error = (await transport.connect().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toMatch(
      /^TANDEM_BROKER_URL: rabbitmq at amqp:\/\/\*\*\*@127\.0\.0\.1:1\/ is unreachable after 500 ms \(connect ECONNREFUSED/,
    );
    expect(error.message).not.toMatch(/s3cr3t|guest/);
  });

  it('shows no user name or password in health', async () => {
    const transport = await broker(withCredentials('guest', 'guest'));
    await transport.connect();
    const health = transport.health!();
    expect(health.ok).toBe(true);
    expect(health.detail).toMatch(/^connected to amqp:\/\/\*\*\*@/);
    expect(health.detail).not.toMatch(/guest/);
  });
});
