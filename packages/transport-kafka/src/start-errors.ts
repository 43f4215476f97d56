/**
 * What connect() fails with when the brokers cannot be used: one error naming the setting
 * the URL came from (TANDEM_BROKER_URL) and the fix. A refused SASL login is a ConfigError
 * (kafkajs does not retry it either); anything else is an UnavailableError.
 */
import { ConfigError, redactCredentials, UnavailableError } from '@tandem/core';

/** kafkajs's error for a refused SASL login, wherever it sits in the cause chain. */
function saslRefusal(error: unknown): Error | undefined {
  for (
    let e = error, depth = 0;
    e instanceof Error && depth < 5;
    e = e.cause ?? (e as { originalError?: unknown }).originalError, depth++
  ) {
    if (
      e.name === 'KafkaJSSASLAuthenticationError' ||
      /SASL_AUTHENTICATION_FAILED|SASL \w+ authentication failed/i.test(e.message)
    )
      return e;
  }
  return undefined;
}

export function kafkaStartError(error: unknown, setting: string, brokers: readonly string[] | undefined): Error {
  const where = brokers && brokers.length > 0 ? brokers.join(',') : 'the brokers';
  if (saslRefusal(error)) {
    return new ConfigError(
      `${setting}: kafka at ${where} refused the SASL credentials; fix the user and password in the URL (kafka://user:password@host:9092?sasl=scram-sha-512) or the mechanism`,
      { cause: error },
    );
  }
  const why = redactCredentials((error as Error).message ?? String(error));
  return new UnavailableError(
    `${setting}: cannot connect to kafka at ${where} (${why}); check the bootstrap list, that the brokers run, and the TLS settings`,
    { cause: error },
  );
}
