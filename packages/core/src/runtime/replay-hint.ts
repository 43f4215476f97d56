import { ConfigError } from '../errors/errors.js';

/**
 * A configuration mistake (a missing TANDEM_SERVICE_<NAME>_URL, say) dead-letters an event at
 * once, though nothing is wrong with the event: once the setting is fixed it would succeed.
 * The dead letter's error and the log line say so, and how to send it back.
 */
export function withReplayHint(error: unknown, group: string, id: string): unknown {
  if (!(error instanceof ConfigError)) return error;
  return new ConfigError(
    `${error.message}; the event is kept as a dead letter of group '${group}': after the fix, replay it with ` +
      `tandem dead-letters replay --group ${group} --id ${id} --broker "$TANDEM_BROKER_URL"`,
    { cause: error, ...(error.details ? { details: error.details } : {}) },
  );
}
