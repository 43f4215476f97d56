import type { Logger } from '../log/logger.js';
import type { App } from './app.js';

/** Which signals stop the app and how long the graceful stop may take. */
export interface StopOnSignalsOptions {
  /** Default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  /** Exit the process once the app stopped (code 0, or 1 if stop() failed). Default true. */
  exit?: boolean;
  logger?: Logger;
  /** Where the process is; a test passes an EventEmitter-like stand-in. Default `process`. */
  process?: Pick<NodeJS.Process, 'once' | 'off' | 'exit'>;
}

/**
 * Wires graceful shutdown: the first signal runs `app.stop()` (intake stops, in-flight
 * work drains, the outbox flushes, connections close); a second signal while stopping
 * exits at once with code 130, for an operator who does not want to wait. Returns a
 * function that removes the listeners.
 */
export function stopOnSignals(app: Pick<App, 'stop'>, options: StopOnSignalsOptions = {}): () => void {
  const proc = options.process ?? process;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? true;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      options.logger?.warn({ signal }, 'second signal while stopping; exiting now');
      proc.exit(130);
      return;
    }
    stopping = true;
    for (const s of signals) proc.off(s, onSignal);
    // Keep listening, so that a second signal does not fall back to Node's default (kill).
    for (const s of signals) proc.once(s, onSignal);
    options.logger?.info({ signal }, 'signal received; stopping gracefully');
    app.stop().then(
      () => {
        if (exit) proc.exit(0);
      },
      (error: unknown) => {
        options.logger?.error({ err: error }, 'graceful stop failed');
        if (exit) proc.exit(1);
      },
    );
  };
  for (const s of signals) proc.once(s, onSignal);
  return () => {
    for (const s of signals) proc.off(s, onSignal);
  };
}
