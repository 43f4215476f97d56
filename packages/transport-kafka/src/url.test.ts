import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerFromUrl as coreBrokerFromUrl, ConfigError } from '@tandem/core';
import { describe, expect, it } from 'vitest';
import { KafkaTransport } from './transport.js';
import { brokerFromUrl, kafkaOptionsFromUrl } from './url.js';

describe('kafka:// URLs', () => {
  it('reads one broker, or several as a host list or through ?brokers=', () => {
    expect(kafkaOptionsFromUrl('kafka://localhost:9092').brokers).toEqual(['localhost:9092']);
    expect(kafkaOptionsFromUrl('kafka://a:9092,b:9093/').brokers).toEqual(['a:9092', 'b:9093']);
    expect(kafkaOptionsFromUrl(new URL('kafka://a:9092?brokers=b:9093,c:9094')).brokers).toEqual([
      'a:9092',
      'b:9093',
      'c:9094',
    ]);
  });

  it('turns user and password into SASL, with the mechanism from ?sasl=', () => {
    expect(kafkaOptionsFromUrl('kafka://app:p%40ss@a:9092').sasl).toEqual({
      mechanism: 'plain',
      username: 'app',
      password: 'p@ss',
    });
    expect(kafkaOptionsFromUrl('kafka://app:pw@a:9092?sasl=SCRAM-SHA-512&ssl=true')).toMatchObject({
      sasl: { mechanism: 'scram-sha-512', username: 'app', password: 'pw' },
      ssl: true,
    });
    expect(() => kafkaOptionsFromUrl('kafka://a:9092?sasl=plain')).toThrow(/needs a user and password/);
    expect(() => kafkaOptionsFromUrl('kafka://u:p@a:9092?sasl=gssapi')).toThrow(/unknown mechanism 'gssapi'/);
  });

  it('reads TLS files and settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-kafka-url-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'PEM');
    const options = kafkaOptionsFromUrl(
      `kafka://a:9093?ca=${encodeURIComponent(ca)}&servername=kafka.internal&rejectUnauthorized=false`,
    );
    expect(options.ssl).toEqual({ ca: Buffer.from('PEM'), servername: 'kafka.internal', rejectUnauthorized: false });
    expect(() => kafkaOptionsFromUrl('kafka://a:9093?ca=/nope/ca.pem')).toThrow(/cannot read '\/nope\/ca.pem'/);
  });

  it('reads Tandem settings and rejects unknown or bad ones', () => {
    expect(
      kafkaOptionsFromUrl(
        'kafka://a:9092?createTopics=false&idempotent=false&retryLevels=500ms,5s,1m&partitions=6&lingerMs=5&topicPrefix=dev.&closeTimeoutMs=2000&dispositionTimeoutMs=3000&contentMode=structured',
      ),
    ).toMatchObject({
      contentMode: 'structured',
      closeTimeoutMs: 2_000,
      dispositionTimeoutMs: 3_000,
      createTopics: false,
      idempotent: false,
      retryLevelsMs: [500, 5_000, 60_000],
      topicDefaults: { numPartitions: 6 },
      lingerMs: 5,
      topicPrefix: 'dev.',
    });
    expect(() => kafkaOptionsFromUrl('kafka://a:9092?lingerMS=5')).toThrow(ConfigError);
    expect(() => kafkaOptionsFromUrl('kafka://a:9092?lingerMs=soon')).toThrow(/expected a whole number, got 'soon'/);
    expect(() => kafkaOptionsFromUrl('kafka://a')).toThrow(/'a' is not host:port/);
    expect(() => kafkaOptionsFromUrl('kafka://a:9092?contentMode=json')).toThrow(
      "kafka URL: parameter contentMode: expected 'binary' or 'structured', got 'json'",
    );
    expect(() => kafkaOptionsFromUrl('kafka://')).toThrow(/no broker given/);
  });

  it('is what core loads for kafka:// (fromEnv, brokerFromUrl)', async () => {
    expect(brokerFromUrl('kafka://a:9092')).toBeInstanceOf(KafkaTransport);
    const broker = await coreBrokerFromUrl('kafka://localhost:9092?createTopics=false');
    expect(broker.name).toBe('kafka');
    expect(await coreBrokerFromUrl('kafka://a:9092,b:9092/?lingerMs=1')).toBeInstanceOf(KafkaTransport);
    expect(broker.capabilities).toEqual({ orderedByKey: true, nativeDelay: true, persistent: true });
  });
});
