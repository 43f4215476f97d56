/**
 * Connection failures that retrying cannot heal: RabbitMQ refused the login (403
 * ACCESS_REFUSED) or would not open the vhost (530 NOT_ALLOWED, which amqplib reports as
 * "Expected ConnectionOpenOk; got <ConnectionClose ...>"). connect() fails on the first of
 * them with a ConfigError instead of retrying until its timeout and calling the broker
 * unreachable.
 */
import { ConfigError, redactCredentials } from '@tandem/core';
import type { ResolvedOptions } from './options.js';

const ACCESS_REFUSED = /\b403\b.*ACCESS.REFUSED|ACCESS_REFUSED/;
const VHOST_REFUSED = /NOT_ALLOWED|Expected ConnectionOpenOk; got <ConnectionClose/;

export function refusal(
  error: Error,
  options: Pick<ResolvedOptions, 'setting' | 'displayUrl'>,
): ConfigError | undefined {
  const { setting, displayUrl } = options;
  const message = error.message ?? '';
  if (ACCESS_REFUSED.test(message)) {
    return new ConfigError(
      `${setting}: rabbitmq at ${displayUrl} refused the credentials (403 ACCESS_REFUSED); fix the user and password in the URL (amqp://user:password@host:5672/vhost)`,
      { cause: error },
    );
  }
  if (VHOST_REFUSED.test(message)) {
    const vhost = decodeURIComponent(new URL(displayUrl).pathname.replace(/^\//, '')) || '/';
    return new ConfigError(
      `${setting}: rabbitmq at ${displayUrl} would not open vhost '${vhost}' (${redactCredentials(message)}); create it (rabbitmqctl add_vhost) and give the user permissions on it, or fix the URL's path`,
      { cause: error },
    );
  }
  return undefined;
}
