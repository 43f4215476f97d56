/**
 * What documentation is generated from: the sync endpoints, and for each event who
 * publishes and who consumes it, read from the same registrations the runtime uses.
 */
import type { CommandContract, EventContract, SyncContract } from '../contracts/contracts.js';
import { describeService, type ServiceInput } from '../decorators/decorators.js';
import { Registry } from '../runtime/registry.js';
import type { ServiceDefinition } from '../runtime/service.js';
import { isSaga } from '../sagas/define.js';
import { SagaMessageType } from '../sagas/messages.js';

/** A command or query an app serves, with its service and handler. */
export interface SyncOperation {
  contract: SyncContract;
  service: string;
  handlerName: string;
}

/** An event with the services that publish it and the groups that consume it. */
export interface EventUse {
  contract: EventContract;
  /** Services that publish it: declared with `publishes`, else the service that owns the name. */
  publishers: string[];
  /** Consumer groups and the services they belong to. */
  consumers: Array<{ service: string; group: string; handlerName: string }>;
}

/** A saga: the events that drive it, the commands it sends, and its own messages. */
export interface SagaUse {
  name: string;
  /** Events that start or advance it (also listed, with the saga as consumer, in `events`). */
  consumes: Array<{ contract: EventContract; starts: boolean }>;
  /** Commands its dispatcher calls for it: those it awaits a reply to and those declared in `sends`. */
  sends: CommandContract[];
  /**
   * Its own messages, on its own topics: commands to its dispatcher, the dispatcher's
   * replies, the saga clock's timeouts. Kept apart from `events`: every saga's carry the
   * same type names, and they are plumbing, not part of any other service's contract.
   */
  internal: EventUse[];
}

/** What the document generators read: services, sync operations and events. */
export interface AppModel {
  services: string[];
  sync: SyncOperation[];
  events: EventUse[];
  sagas: SagaUse[];
}

const sagaMessageTypes = new Set<string>(Object.values(SagaMessageType));

function sagaUse(saga: ServiceDefinition): SagaUse | undefined {
  if (!isSaga(saga)) return undefined;
  const internal = new Map<string, EventUse>();
  for (const h of saga.handlers) {
    if (h.contract.kind !== 'event' || !sagaMessageTypes.has(h.contract.name)) continue;
    let entry = internal.get(h.contract.name);
    // The saga's steps send the commands, its dispatcher the replies, the saga clock of its app the timeouts.
    if (!entry)
      internal.set(h.contract.name, (entry = { contract: h.contract, publishers: [saga.name], consumers: [] }));
    entry.consumers.push({ service: saga.name, group: h.options.group ?? saga.name, handlerName: h.handlerName });
  }
  return {
    name: saga.name,
    consumes: saga.specs.flatMap((s) => (s.kind === 'event' ? [{ contract: s.event, starts: s.starts }] : [])),
    sends: [...saga.commands.values()].sort((a, b) => a.name.localeCompare(b.name)),
    internal: [...internal.values()].sort((a, b) => a.contract.name.localeCompare(b.contract.name)),
  };
}

/** Builds the AppModel of a set of services, with the same checks as `createApp`. */
export function describeApp(
  inputs: readonly ServiceInput[],
  options: { events?: readonly EventContract[] } = {},
): AppModel {
  const services = inputs.map(describeService);
  // The registry's start-time checks (duplicate handlers, wrong contract kinds) apply here too.
  new Registry(services);
  const sync: SyncOperation[] = [];
  const events = new Map<string, EventUse>();
  const use = (contract: EventContract): EventUse => {
    let entry = events.get(contract.name);
    if (!entry) events.set(contract.name, (entry = { contract, publishers: [], consumers: [] }));
    return entry;
  };
  for (const event of options.events ?? []) use(event);
  const sagas: SagaUse[] = [];
  for (const svc of services) {
    const saga = sagaUse(svc);
    if (saga) sagas.push(saga);
    for (const h of svc.handlers) {
      if (saga && sagaMessageTypes.has(h.contract.name)) continue;
      for (const published of h.options.publishes ?? []) {
        const entry = use(published);
        if (!entry.publishers.includes(svc.name)) entry.publishers.push(svc.name);
      }
      if (h.contract.kind === 'event') {
        use(h.contract).consumers.push({
          service: svc.name,
          group: h.options.group ?? svc.name,
          handlerName: h.handlerName,
        });
      } else {
        sync.push({ contract: h.contract, service: svc.name, handlerName: h.handlerName });
      }
    }
  }
  const names = new Set(services.map((s) => s.name));
  for (const entry of events.values()) {
    if (entry.publishers.length === 0 && names.has(entry.contract.service))
      entry.publishers.push(entry.contract.service);
  }
  return {
    services: [...names],
    sync: sync.sort((a, b) => a.contract.name.localeCompare(b.contract.name)),
    events: [...events.values()].sort((a, b) => a.contract.name.localeCompare(b.contract.name)),
    sagas: sagas.sort((a, b) => a.name.localeCompare(b.name)),
  };
}
