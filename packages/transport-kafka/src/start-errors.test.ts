import { ConfigError, UnavailableError } from '@tandem/core';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaStartError } from './start-errors.js';

describe('kafkaStartError', () => {
  it("calls kafkajs's SASL authentication error refused credentials, naming the setting and no user", () => {
    // kafkajs's types declare no argument; at run time it takes the message, as kafkajs throws it.
    const SaslError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    const refused = new SaslError(
      'SASL PLAIN authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN',
    );
    const error = kafkaStartError(new kafkajs.KafkaJSNonRetriableError(refused), 'TANDEM_BROKER_URL', [
      'k1:9092',
      'k2:9092',
    ]);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /^TANDEM_BROKER_URL: kafka at k1:9092,k2:9092 refused the SASL credentials; fix the user and password/,
    );
  });

  it('calls anything else unavailable, with the reason and without credentials', () => {
    const error = kafkaStartError(
      new Error('Connection error: connect ECONNREFUSED kafka://u:s3cr3t@k1:9092'),
      'TANDEM_BROKER_URL',
      ['k1:9092'],
    );
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toMatch(
      /^TANDEM_BROKER_URL: cannot connect to kafka at k1:9092 \(Connection error: connect ECONNREFUSED/,
    );
    expect(error.message).not.toMatch(/s3cr3t/);
  });
});
