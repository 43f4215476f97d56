import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tandem/core';
import { optionsFromUrl, redactUrl } from './url.js';

describe('rabbitmq URLs', () => {
  it('keeps user, host, port, vhost and amqplib parameters in the URL amqplib gets', () => {
    const { connectUrl, options } = optionsFromUrl(
      new URL('amqp://u:p@rabbit:5673/orders?heartbeat=10&prefetch=50&prefix=shop&closeTimeoutMs=2000'),
    );
    expect(connectUrl).toBe('amqp://u:p@rabbit:5673/orders?heartbeat=10');
    expect(options).toEqual({ prefetch: 50, prefix: 'shop', closeTimeoutMs: 2_000 });
  });

  it('reads delay levels, queue type, mandatory, exchange and content mode', () => {
    const { options } = optionsFromUrl(
      new URL('amqps://h/?delays=250ms,2s,1m&queueType=quorum&mandatory=true&exchange=ev&contentMode=structured'),
    );
    expect(options).toEqual({
      contentMode: 'structured',
      delayLevelsMs: [250, 2_000, 60_000],
      queueType: 'quorum',
      mandatory: true,
      names: { exchange: 'ev' },
    });
  });

  it('maps RabbitMQ URI TLS parameters to TLS options', () => {
    const { options } = optionsFromUrl(new URL('amqps://h/?verify=verify_none&server_name_indication=rabbit.internal'));
    expect(options.tls).toEqual({ rejectUnauthorized: false, servername: 'rabbit.internal' });
  });

  it('fails on an unknown parameter, a bad value or a wrong scheme, naming it', () => {
    expect(() => optionsFromUrl(new URL('amqp://h/?prefech=5'))).toThrow(/'prefech' is unknown/);
    expect(() => optionsFromUrl(new URL('amqp://h/?prefetch=many'))).toThrow(ConfigError);
    expect(() => optionsFromUrl(new URL('amqp://h/?contentMode=json'))).toThrow(
      "rabbitmq URL parameter contentMode: expected 'binary' or 'structured', got 'json'",
    );
    expect(() => optionsFromUrl(new URL('amqp://h/?cacertfile=/nonexistent.pem'))).toThrow(
      /cannot read '\/nonexistent.pem'/,
    );
    expect(() => optionsFromUrl(new URL('kafka://h'))).toThrow(/amqp:\/\/ or amqps:\/\//);
  });

  it('hides the user and the password in what it shows', () => {
    expect(redactUrl(new URL('amqp://u:secret@h/v?x=1'))).toBe('amqp://***@h/v');
  });
});
