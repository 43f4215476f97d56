/**
 * What an operator does to saga instances from outside any app (`tandem sagas`): read
 * them, and send a parked one back to compensating, from the compensation that failed.
 */
import { ConfigError, NotFoundError, ConflictError } from '../errors/errors.js';
import { encodeEvent } from '../messages/envelope.js';
import { uuidv7 } from '../messages/uuid.js';
import type { Store } from '../stores/store.js';
import type { OutgoingMessage } from '../transport/broker.js';
import { compensationEffects, resumeCompensation, type SagaEffects } from './compensation.js';
import { sagaContracts } from './messages.js';
import { nextDue } from './runner.js';
import { MAX_SAGA_HISTORY, type SagaInstance } from './saga-store.js';

/** The store's saga part, or a ConfigError that says which store lacks one. */
export function sagaStoreOf(store: Store) {
  if (!store.sagas)
    throw new ConfigError(`store '${store.name}' keeps no saga instances (sagas need PostgreSQL, PGlite or memory)`);
  return store.sagas;
}

/**
 * Sends a parked saga instance back to compensating (what `tandem sagas retry` and the
 * console's Retry do): the compensation that failed runs again (then the rest, newest
 * first). Its messages go through the store's outbox, in the same transaction as the
 * instance's change, so the store needs an outbox. Resolves with the instance as saved.
 */
export async function retryParkedSaga(store: Store, saga: string, id: string): Promise<SagaInstance> {
  const sagas = sagaStoreOf(store);
  const outbox = store.outbox;
  if (!outbox)
    throw new ConfigError(`store '${store.name}' has no outbox: a saga retry sends its compensation through it`);
  return store.transaction(async (tx) => {
    const instance = await sagas.load(tx, saga, id);
    if (!instance) throw new NotFoundError(`saga '${saga}' has no instance '${id}'`);
    if (instance.status !== 'parked')
      throw new ConflictError(
        `saga '${saga}' instance '${id}' is ${instance.status}, not parked: only a parked instance is retried`,
      );
    const expected = instance.version;
    const now = Date.now();
    resumeCompensation(instance);
    const effects: SagaEffects = { events: [], commands: [] };
    compensationEffects(saga, instance, effects);
    const contracts = sagaContracts(saga);
    const headers = instance.data.correlationId !== undefined ? { correlationId: instance.data.correlationId } : {};
    const messages: OutgoingMessage[] = [
      ...effects.events.map(({ event, data, options }) =>
        encodeEvent(event, data, {
          source: saga,
          ...headers,
          ...(options.key !== undefined ? { key: options.key } : {}),
        }),
      ),
      ...effects.commands.map((command) =>
        encodeEvent(contracts.command, command, { source: saga, key: command.commandId, ...headers }),
      ),
    ];
    instance.data.history.push({ at: now, input: 'operator:retry', messageId: uuidv7(), status: instance.status });
    if (instance.data.history.length > MAX_SAGA_HISTORY) instance.data.history.shift();
    instance.version = expected + 1;
    instance.updatedAt = now;
    instance.dueAt = nextDue(instance);
    if (!(await sagas.save(tx, instance, expected)))
      throw new ConflictError(`saga '${saga}' instance '${id}' changed while it was retried; try again`);
    if (messages.length > 0) await outbox.append(tx, messages);
    return instance;
  });
}
