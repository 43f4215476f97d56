import type { Context } from '@opentelemetry/api';
import type { SyncContract } from '../contracts/contracts.js';
import { ConfigError } from '../errors/errors.js';
import { CallHeader } from './call-transport.js';
import type { RunContext } from './context-factory.js';
import type { CallOptions, HandlerMeta } from './handler-context.js';
import type { Runtime } from './runtime.js';

/**
 * Where `ctx.call` and `app.call` go: in process when this app serves the contract (with the
 * caller's deadline, correlation and trace), else through the app's call transport.
 */
export function routeCall(
  runtime: Runtime,
  contract: SyncContract,
  input: unknown,
  options: CallOptions,
  parent?: HandlerMeta,
  trace?: Context,
  caller?: RunContext,
): Promise<unknown> {
  // The sooner of the caller's own deadline and this call's timeout, if either is set.
  const own = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined;
  const inherited = parent?.deadline;
  const deadline = own === undefined ? inherited : inherited === undefined ? own : Math.min(own, inherited);
  const local = runtime.deps.registry.sync.get(contract.name);
  if (local) {
    // A caller whose deferred transaction is not open yet has none to join: the call runs on
    // its own, aborted with its caller as a call over HTTP would be.
    const apart = caller !== undefined && !caller.joinsCalls;
    const signal = apart
      ? options.signal
        ? AbortSignal.any([options.signal, caller.signal])
        : caller.signal
      : options.signal;
    return runtime.invoke(
      local,
      input,
      {
        headers: options.headers ?? {},
        ...(signal ? { signal } : {}),
        ...(deadline !== undefined ? { timeoutMs: deadline - Date.now() } : {}),
        ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
        ...(parent ? { correlationId: parent.correlationId, causationId: parent.messageId } : {}),
        ...(trace ? { trace } : {}),
      },
      apart ? undefined : caller,
    );
  }
  const clients = runtime.deps.clients;
  if (!clients) {
    return Promise.reject(
      new ConfigError(
        `no route for ${contract.kind} '${contract.name}': service '${contract.service}' is not in this app; ` +
          `pass clients: httpClient({ services: { ${contract.service}: 'http://host:port' } }) to createApp, ` +
          `or set TANDEM_SERVICE_${contract.service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`,
      ),
    );
  }
  const headers: Record<string, string> = { ...options.headers };
  if (parent) {
    headers[CallHeader.correlationId] = parent.correlationId;
    headers[CallHeader.causationId] = parent.messageId;
  }
  return clients.call(contract, input, {
    headers,
    ...(deadline !== undefined ? { deadline } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
    ...(trace ? { trace } : {}),
  });
}
