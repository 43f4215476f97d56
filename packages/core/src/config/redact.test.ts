import { describe, expect, it } from 'vitest';
import { redactCredentials, redactUrl } from './redact.js';

describe('redactUrl', () => {
  it('hides the user and the password of a URL, keeping host, port, path and other parameters', () => {
    expect(redactUrl('amqp://user:s3cr3t@host:5672/vhost?heartbeat=5')).toBe('amqp://***@host:5672/vhost?heartbeat=5');
    expect(redactUrl(new URL('postgres://shop:pw@db:5432/shop'))).toBe('postgres://***@db:5432/shop');
    expect(redactUrl('redis://:onlypass@127.0.0.1:6379/0')).toBe('redis://***@127.0.0.1:6379/0');
    expect(redactUrl('kafka://u:p@a:9092,b:9092?sasl=plain')).toBe('kafka://***@a:9092,b:9092?sasl=plain');
    expect(redactUrl('memory://')).toBe('memory://');
  });

  it('hides a password that does not parse as part of a URL: unencoded @ or /, a bad port', () => {
    for (const url of ['amqp://user:s3cr3t@host:99999', 'amqp://user:s3@cr3t@host', 'amqp://user:s3/cr3t@host/v']) {
      expect(redactUrl(url)).not.toMatch(/s3|cr3t|user/);
    }
  });

  it('hides password parameters', () => {
    expect(redactUrl('postgres://db/shop?password=pw&sslmode=require')).toBe(
      'postgres://db/shop?password=***&sslmode=require',
    );
  });
});

describe('redactCredentials', () => {
  it('hides URL credentials inside free text and leaves the rest', () => {
    expect(redactCredentials("TANDEM_BROKER_URL: 'amqp://guest:guest@127.0.0.1:5672/' is down; retry")).toBe(
      "TANDEM_BROKER_URL: 'amqp://***@127.0.0.1:5672/' is down; retry",
    );
    expect(redactCredentials('no url here: user@example.com')).toBe('no url here: user@example.com');
    // The example a message gives of how to write a URL is not a secret.
    expect(redactCredentials('write amqp://user:password@host:5672/vhost')).toBe(
      'write amqp://user:password@host:5672/vhost',
    );
  });
});
