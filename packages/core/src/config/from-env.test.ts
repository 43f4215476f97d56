import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors.js';
import { MemoryTransport } from '../transport/memory/memory-broker.js';
import { fromEnv } from './from-env.js';
import { brokerSchemes } from './schemes.js';

describe('fromEnv', () => {
  it('defaults to the in-process broker, no store and port 3000', async () => {
    const config = await fromEnv({});
    expect(config.broker).toBeInstanceOf(MemoryTransport);
    expect(config.store).toBeUndefined();
    expect(config.httpPort).toBe(3000);
  });

  it('names the variable and the accepted schemes for a typo', async () => {
    await expect(fromEnv({ TANDEM_BROKER_URL: 'kafak://localhost:9092' })).rejects.toThrow(
      "TANDEM_BROKER_URL: unknown scheme 'kafak'; did you mean kafka://? expected memory, kafka, amqp or amqps",
    );
    await expect(fromEnv({ TANDEM_STORE_URL: 'mysql://x' })).rejects.toThrow(
      /^TANDEM_STORE_URL: unknown scheme 'mysql'; expected memory/,
    );
  });

  it('suggests the scheme an unknown one most likely meant: RabbitMQ is amqp://', async () => {
    for (const [url, meant] of [
      ['rabbitmq://guest:guest@localhost:5672', 'amqp'],
      ['rabbit://localhost', 'amqp'],
      ['rabbitmqs://localhost', 'amqps'],
      ['ampqs://localhost', 'amqps'],
      ['kafak://a:9092,b:9092', 'kafka'],
      ['memroy://', 'memory'],
    ] as const) {
      const error = (await fromEnv({ TANDEM_BROKER_URL: url }).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(
        new RegExp(`^TANDEM_BROKER_URL: unknown scheme '[a-z]+'; did you mean ${meant}://\\? `),
      );
      expect(error.message).not.toContain('guest:guest');
    }
    await expect(fromEnv({ TANDEM_STORE_URL: 'postgre://x/db' })).rejects.toThrow(
      "TANDEM_STORE_URL: unknown scheme 'postgre'; did you mean postgres://?",
    );
    await expect(fromEnv({ TANDEM_BROKER_URL: 'not a url' })).rejects.toThrow(
      /TANDEM_BROKER_URL: 'not a url' is not a URL/,
    );
  });

  it('validates numbers and enums, naming the variable', async () => {
    const error = await fromEnv({ TANDEM_HTTP_PORT: '70000' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^TANDEM_HTTP_PORT: .*got '70000'/);
    await expect(fromEnv({ TANDEM_LOG_LEVEL: 'loud' })).rejects.toThrow(/^TANDEM_LOG_LEVEL/);
  });

  it('never echoes the password of a URL it cannot parse', async () => {
    for (const [variable, value] of [
      ['TANDEM_BROKER_URL', 'amqp://user:s3cr3t@host:99999'],
      ['TANDEM_STORE_URL', 'postgres://user:s3cr3t@host:99999/db'],
      ['TANDEM_STORE_URL', 'redis://user:s3cr3t@host:1,b:2'],
      ['TANDEM_SERVICE_INVENTORY_URL', 'ftp://user:s3cr3t@host:21'],
    ] as const) {
      const error = await fromEnv({ [variable]: value }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(new RegExp(`^${variable}: '\\w+://\\*\\*\\*@host`));
      expect(String(error) + JSON.stringify(error) + String((error as Error).cause)).not.toMatch(/s3cr3t|user/);
    }
  });

  it("names the variable in an adapter's rejection of the URL, without its credentials", async () => {
    brokerSchemes.set('picky', {
      factory: () => {
        throw new Error("parameter 'x' is unknown in picky://me:s3cr3t@h");
      },
    });
    try {
      const error = await fromEnv({ TANDEM_BROKER_URL: 'picky://me:s3cr3t@h?x=1' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe("TANDEM_BROKER_URL: parameter 'x' is unknown in picky://***@h");
      expect(JSON.stringify(error) + String((error as Error).cause)).not.toMatch(/s3cr3t/);
    } finally {
      brokerSchemes.delete('picky');
    }
  });

  it('reads service URLs, several per service', async () => {
    const config = await fromEnv({
      TANDEM_SERVICE_INVENTORY_URL: 'http://a:1, http://b:2',
      TANDEM_SERVICE_PAYMENT_GATEWAY_URL: 'http://c:3',
    });
    expect(config.serviceUrls).toEqual({ inventory: ['http://a:1', 'http://b:2'], 'payment-gateway': ['http://c:3'] });
    await expect(fromEnv({ TANDEM_SERVICE_X_URL: 'ftp://nope' })).rejects.toThrow(
      /TANDEM_SERVICE_X_URL: 'ftp:\/\/nope' is not an http/,
    );
  });

  it('hands a host list, which is not a WHATWG URL, to the broker factory as the raw string', async () => {
    let got: URL | string | undefined;
    brokerSchemes.set('multi', { factory: (url) => ((got = url), new MemoryTransport()) });
    try {
      await fromEnv({ TANDEM_BROKER_URL: 'multi://a:9092,b:9093/x?y=1' });
      expect(got).toBe('multi://a:9092,b:9093/x?y=1');
      await fromEnv({ TANDEM_BROKER_URL: 'multi://a:9092' });
      expect(got).toBeInstanceOf(URL);
      await expect(fromEnv({ TANDEM_BROKER_URL: 'kafak://a:9092,b:9092' })).rejects.toThrow(/unknown scheme 'kafak'/);
      await expect(fromEnv({ TANDEM_STORE_URL: 'redis://a:1,b:2' })).rejects.toThrow(/lists several hosts/);
    } finally {
      brokerSchemes.delete('multi');
    }
  });

  it('says which package to install for a scheme whose adapter is missing', async () => {
    brokerSchemes.set('nats', { packageName: '@tandem/transport-nats', exportName: 'brokerFromUrl' });
    try {
      await expect(fromEnv({ TANDEM_BROKER_URL: 'nats://127.0.0.1:4222' })).rejects.toThrow(
        "TANDEM_BROKER_URL: scheme 'nats' needs the package @tandem/transport-nats; install it with npm install @tandem/transport-nats",
      );
    } finally {
      brokerSchemes.delete('nats');
    }
  });

  it('gives separate in-process brokers to differently named memory URLs', async () => {
    const a = (await fromEnv({ TANDEM_BROKER_URL: 'memory://one' })).broker as MemoryTransport;
    const b = (await fromEnv({ TANDEM_BROKER_URL: 'memory://two' })).broker as MemoryTransport;
    const a2 = (await fromEnv({ TANDEM_BROKER_URL: 'memory://one' })).broker as MemoryTransport;
    expect(a.broker).not.toBe(b.broker);
    expect(a.broker).toBe(a2.broker);
  });
});
