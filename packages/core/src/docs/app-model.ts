/**
 * What documentation is generated from: the sync endpoints, and for each event who
 * publishes and who consumes it, read from the same registrations the runtime uses.
 */
import type { EventContract, SyncContract } from '../contracts/contracts.js';
import { describeService, type ServiceInput } from '../decorators/decorators.js';
import { Registry } from '../runtime/registry.js';

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

/** What the document generators read: services, sync operations and events. */
export interface AppModel {
  services: string[];
  sync: SyncOperation[];
  events: EventUse[];
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
  for (const svc of services) {
    for (const h of svc.handlers) {
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
  };
}
