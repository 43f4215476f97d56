import { describe, expect, it } from 'vitest';
import { brokerFromUrl as coreBrokerFromUrl, ConfigError, fromEnv, silentLogger } from '@tandem/core';
import { resolveOptions } from './options.js';
import { RabbitMQTransport } from './transport.js';

describe('rabbitmq options', () => {
  it('applies defaults', () => {
    const o = resolveOptions({ logger: silentLogger });
    expect(o).toMatchObject({
      connectUrl: 'amqp://localhost',
      prefetch: 100,
      mandatory: false,
      queueType: 'classic',
      contentMode: 'binary',
      closeTimeoutMs: 15_000,
      tls: undefined,
    });
    expect(o.names.exchange).toBe('tandem.events');
    expect(o.delayLevelsMs[0]).toBe(100);
  });

  it('lets code override the URL, and passes TLS and vhost through for amqps', () => {
    const o = resolveOptions({
      url: 'amqps://u:p@rabbit/prod%2Feu?prefetch=5&verify=verify_none',
      prefetch: 7,
      tls: { servername: 'rabbit.internal' },
      logger: silentLogger,
    });
    expect(o.prefetch).toBe(7);
    expect(o.connectUrl).toBe('amqps://u:p@rabbit/prod%2Feu');
    expect(o.displayUrl).toBe('amqps://***@rabbit/prod%2Feu');
    expect(o.tls).toEqual({ rejectUnauthorized: false, servername: 'rabbit.internal' });
  });

  it('refuses bad settings with the setting named', () => {
    expect(() => resolveOptions({ prefetch: 0, logger: silentLogger })).toThrow(/rabbitmq prefetch/);
    expect(() => resolveOptions({ queueType: 'stream' as 'classic', logger: silentLogger })).toThrow(ConfigError);
    expect(() => resolveOptions({ heartbeatSeconds: -1, logger: silentLogger })).toThrow(/heartbeatSeconds/);
    expect(() => resolveOptions({ closeTimeoutMs: 0, logger: silentLogger })).toThrow(/rabbitmq closeTimeoutMs/);
    expect(() => resolveOptions({ contentMode: 'json' as 'binary', logger: silentLogger })).toThrow(
      /rabbitmq contentMode: expected 'binary' or 'structured'/,
    );
  });
});

describe('selection by URL', () => {
  it('is what fromEnv() builds for amqp:// and amqps:// URLs', async () => {
    const { broker } = await fromEnv({
      TANDEM_BROKER_URL: 'amqp://guest:guest@127.0.0.1:5672/%2F?prefetch=20',
      TANDEM_LOG_LEVEL: 'silent',
    });
    expect(broker).toBeInstanceOf(RabbitMQTransport);
    expect(broker.name).toBe('rabbitmq');
    expect(await coreBrokerFromUrl('amqps://rabbit.example/orders')).toBeInstanceOf(RabbitMQTransport);
    await expect(coreBrokerFromUrl('amqp://h/?prefech=1')).rejects.toThrow(/'prefech' is unknown/);
  });
});
