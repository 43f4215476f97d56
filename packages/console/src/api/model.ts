import { eventFlow, type App, type CommandEdge, type FlowEdge, type SyncHost } from '@tandem/core';

/** A contract as the model names it. */
export interface ContractJson {
  name: string;
  kind: string;
  service: string;
  version: number;
}

/** What `GET model` answers: the app's services, handlers, contracts, groups and event flow. */
export interface ConsoleModel {
  services: string[];
  broker: string;
  store: string | null;
  handlers: Array<{ service: string; name: string; kind: string; handlerName: string; group?: string }>;
  sync: Array<ContractJson & { route?: { method: string; path: string } }>;
  events: Array<
    ContractJson & { publishers: string[]; consumers: Array<{ service: string; group: string; handlerName: string }> }
  >;
  groups: Array<{ group: string; service: string; types: string[] }>;
  sagas: Array<{ name: string; consumes: Array<{ type: string; starts: boolean }>; sends: string[] }>;
  flow: { edges: FlowEdge[]; commands: CommandEdge[]; cycles: string[][]; mermaid: string };
}

/** Services, handlers, contracts, routes, consumer groups and the event-flow graph, as JSON. */
export function modelJson(app: App, host: SyncHost): ConsoleModel {
  const model = app.model();
  const routes = new Map(host.endpoints.map((e) => [e.contract.name, e.route]));
  const handlers: ConsoleModel['handlers'] = [
    ...model.sync.map((op) => ({
      service: op.service,
      name: op.contract.name,
      kind: op.contract.kind,
      handlerName: op.handlerName,
    })),
    ...model.events.flatMap((use) =>
      use.consumers.map((c) => ({
        service: c.service,
        name: use.contract.name,
        kind: 'event',
        handlerName: c.handlerName,
        group: c.group,
      })),
    ),
  ];
  const groups = new Map<string, { group: string; service: string; types: string[] }>();
  for (const use of model.events)
    for (const c of use.consumers) {
      const entry = groups.get(c.group) ?? { group: c.group, service: c.service, types: [] };
      if (!entry.types.includes(use.contract.name)) entry.types.push(use.contract.name);
      groups.set(c.group, entry);
    }
  const contract = (c: { name: string; kind: string; service: string; version?: number }): ContractJson => ({
    name: c.name,
    kind: c.kind,
    service: c.service,
    version: c.version ?? 1,
  });
  const flow = eventFlow(model);
  return {
    services: model.services,
    broker: app.broker.name,
    store: app.store?.name ?? null,
    handlers,
    sync: model.sync.map((op) => {
      const route = routes.get(op.contract.name) ?? op.contract.route;
      return { ...contract(op.contract), ...(route ? { route: { method: route.method, path: route.path } } : {}) };
    }),
    events: model.events.map((use) => ({
      ...contract(use.contract),
      publishers: use.publishers,
      consumers: use.consumers.map((c) => ({ service: c.service, group: c.group, handlerName: c.handlerName })),
    })),
    groups: [...groups.values()].sort((a, b) => a.group.localeCompare(b.group)),
    sagas: model.sagas.map((s) => ({
      name: s.name,
      consumes: s.consumes.map((c) => ({ type: c.contract.name, starts: c.starts })),
      sends: s.sends.map((c) => c.name),
    })),
    flow: { edges: flow.edges, commands: flow.commands, cycles: flow.cycles, mermaid: flow.mermaid },
  };
}

/** The consumer groups of the app, for checks on `?group=`. */
export function groupsOf(app: App): string[] {
  return [...new Set(app.model().events.flatMap((use) => use.consumers.map((c) => c.group)))].sort();
}
