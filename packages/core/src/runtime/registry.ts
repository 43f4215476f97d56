import { isContract } from '../contracts/contracts.js';
import { RegistrationError } from '../errors/errors.js';
import { resolveRetryPolicy, type RetryPolicy } from '../retry/retry-policy.js';
import type { ServiceDefinition, HandlerRegistration } from './service.js';

export interface EventGroup {
  readonly name: string;
  /** Handlers by event type (contract name). */
  readonly handlers: ReadonlyMap<string, HandlerRegistration>;
  readonly topics: readonly string[];
}

export interface RegistryOptions {
  /** The app's retry policy, under each event handler's own. */
  retry?: Partial<RetryPolicy>;
  /** Mistakes found before (reading decorated classes), reported with these checks' own. */
  problems?: readonly string[];
}

/**
 * Everything the app serves, checked once at start: one handler per command or query in
 * the whole app, one handler per event type in a consumer group, unique service names,
 * valid retry policies. Every mistake found is reported in one RegistrationError, each
 * naming its service and handler.
 */
export class Registry {
  readonly sync = new Map<string, HandlerRegistration>();
  readonly groups = new Map<string, EventGroup>();

  constructor(
    readonly services: readonly ServiceDefinition[],
    options: RegistryOptions = {},
  ) {
    const names = new Set<string>();
    const problems: string[] = [...(options.problems ?? [])];
    const groupHandlers = new Map<string, Map<string, HandlerRegistration>>();
    for (const svc of services) {
      if (typeof svc.name !== 'string' || svc.name.trim() === '') {
        problems.push(
          `service(${JSON.stringify(svc.name) ?? ''}) needs a name, e.g. service('orders'); it names the service's routes, consumer group and logs`,
        );
        continue;
      }
      if (names.has(svc.name))
        problems.push(`two services are named '${svc.name}'; service names must be unique in one app`);
      names.add(svc.name);
      for (const h of svc.handlers) {
        if (!isContract(h.contract)) {
          problems.push(
            `service '${svc.name}', handler ${h.handlerName}: needs a ${h.kind} contract, got ${h.contract === undefined ? 'undefined (is the contract imported before it is defined? check for an import cycle)' : typeof h.contract}`,
          );
          continue;
        }
        if (h.kind !== h.contract.kind) {
          problems.push(
            `service '${svc.name}', handler ${h.handlerName}: a ${h.kind} handler was given the ${h.contract.kind} contract '${h.contract.name}'`,
          );
          continue;
        }
        const transaction: unknown = h.options.transaction;
        if (transaction !== undefined && transaction !== 'immediate' && transaction !== 'deferred')
          problems.push(
            `service '${svc.name}', handler ${h.handlerName}: transaction must be 'immediate' or 'deferred', got ${JSON.stringify(transaction)}`,
          );
        if (h.kind === 'event') {
          if (transaction === 'deferred')
            problems.push(
              `service '${svc.name}', handler ${h.handlerName}: transaction: 'deferred' is for commands and queries; an event handler's transaction opens before it runs, with the message's inbox record`,
            );
          try {
            resolveRetryPolicy(options.retry, h.options.retry);
          } catch (error) {
            problems.push(`service '${svc.name}', handler ${h.handlerName}: ${(error as Error).message}`);
          }
          const group = h.options.group ?? svc.name;
          let handlers = groupHandlers.get(group);
          if (!handlers) groupHandlers.set(group, (handlers = new Map()));
          const other = handlers.get(h.contract.name);
          if (other) {
            problems.push(
              `two handlers for event '${h.contract.name}' in consumer group '${group}': ${other.handlerName} and ${h.handlerName}; give one of them its own { group }`,
            );
          }
          handlers.set(h.contract.name, h);
          continue;
        }
        const other = this.sync.get(h.contract.name);
        if (other) {
          problems.push(
            `two handlers for ${h.kind} '${h.contract.name}': ${other.handlerName} (service ${other.service}) and ${h.handlerName} (service ${h.service})`,
          );
        }
        this.sync.set(h.contract.name, h);
      }
    }
    if (problems.length > 0) throw new RegistrationError(problems.join('\n'));
    for (const [name, handlers] of groupHandlers) {
      const topics = [...new Set([...handlers.values()].map((h) => (h.contract as { topic: string }).topic))];
      this.groups.set(name, { name, handlers, topics });
    }
  }
}
