/**
 * A saga as event handlers, so that its steps get everything an event handler gets (inbox,
 * outbox, retries, dead letters, a consumer span per step, metrics) from the one runtime:
 * - its group (the saga's name) takes the events it declares, and its own replies and
 *   timeouts from topic `tandem.saga.<name>`;
 * - its dispatcher (group `<name>.commands`) takes the commands it sends, calls them, and
 *   publishes each answer as a reply.
 */
import { ConfigError } from '../errors/errors.js';
import { resolveRetryPolicy, type RetryPolicy } from '../retry/retry-policy.js';
import type { EventHandlerOptions, HandlerRegistration } from '../runtime/service.js';
import type { Store } from '../stores/store.js';
import type { SagaModel } from './define.js';
import { dispatchCommand } from './dispatcher.js';
import {
  dispatcherGroup,
  sagaContracts,
  type SagaCommandData,
  type SagaContracts,
  type SagaReplyData,
  type SagaTimeoutData,
} from './messages.js';
import { runSagaStep } from './runner.js';
import type { SagaStore } from './saga-store.js';

/** What a saga needs from its app; the app attaches it before it starts. */
export interface SagaBinding {
  readonly contracts: SagaContracts;
  /** The store's saga part; throws a ConfigError naming the fix when the app's store has none. */
  sagas(): SagaStore;
  /** The retry policy of its steps and commands, the app's defaults under the saga's own. */
  policy(): RetryPolicy;
  /** Whether this app serves the command: then it is called in process, in the dispatcher's transaction. */
  servedHere(command: string): boolean;
  attach(
    store: Store | undefined,
    appRetry: Partial<RetryPolicy> | undefined,
    servedHere: (command: string) => boolean,
  ): void;
}

/** Why saga `name` cannot run on `store`, and the fix. */
export function noSagaStore(name: string, store: Store | undefined): string {
  return (
    `saga '${name}' needs a store that keeps saga instances (PostgreSQL, PGlite or memory); ` +
    `${store ? `store '${store.name}' does not` : 'the app has no store'}: pass store: postgresStore(...) to createApp (see docs/sagas.md)`
  );
}

export function compileSaga(model: SagaModel): { handlers: HandlerRegistration[]; binding: SagaBinding } {
  const contracts = sagaContracts(model.name);
  let store: Store | undefined;
  let policy: RetryPolicy | undefined;
  let local: (command: string) => boolean = () => false;
  const binding: SagaBinding = {
    contracts,
    sagas() {
      if (!store?.sagas) throw new ConfigError(noSagaStore(model.name, store));
      return store.sagas;
    },
    policy() {
      return (policy ??= resolveRetryPolicy(model.options.retry));
    },
    servedHere(command) {
      return local(command);
    },
    attach(s, appRetry, servedHere) {
      store = s;
      policy = resolveRetryPolicy(appRetry, model.options.retry);
      local = servedHere;
    },
  };
  const options: EventHandlerOptions = {
    group: model.name,
    ...(model.options.retry ? { retry: model.options.retry } : {}),
    ...(model.options.concurrency !== undefined ? { concurrency: model.options.concurrency } : {}),
  };
  const handlers: HandlerRegistration[] = [];
  const add = (
    contract: HandlerRegistration['contract'],
    handlerName: string,
    fn: HandlerRegistration['fn'],
    opts = options,
  ) => handlers.push({ kind: 'event', contract, service: model.name, handlerName, fn, options: opts });

  for (const spec of model.specs) {
    if (spec.kind !== 'event') continue;
    add(spec.event, `${model.name}.${spec.handlerName}`, (data, ctx) =>
      runSagaStep(model, binding, { kind: 'event', spec, data }, ctx),
    );
  }
  if (model.specs.some((s) => s.kind === 'timeout'))
    add(contracts.timeout, `${model.name}.timeouts`, (data, ctx) =>
      runSagaStep(model, binding, { kind: 'timeout', data: data as SagaTimeoutData }, ctx),
    );
  if (model.commands.size > 0) {
    add(contracts.reply, `${model.name}.replies`, (data, ctx) =>
      runSagaStep(model, binding, { kind: 'reply', data: data as SagaReplyData }, ctx),
    );
    add(
      contracts.command,
      `${model.name}.dispatcher`,
      (data, ctx) => dispatchCommand(model, binding, data as SagaCommandData, ctx),
      { ...options, group: dispatcherGroup(model.name), publishes: [contracts.reply] },
    );
  }
  return { handlers, binding };
}
