/**
 * Which service publishes which event and who consumes it, as edges between services, with
 * the cycles among them: a cycle of events between services is legal but easy to create by
 * accident (A reacts to B, which reacts to A), and worth seeing before it loops in
 * production.
 */
import type { AppModel } from './app-model.js';

/** One service's event reaching another service. */
export interface FlowEdge {
  from: string;
  to: string;
  event: string;
}

/** A command a saga sends, and the service that serves it. */
export interface CommandEdge {
  saga: string;
  to: string;
  command: string;
}

/** The edges between services, the cycles among them, and a Mermaid chart. */
export interface EventFlow {
  edges: FlowEdge[];
  /**
   * Commands sagas send (through their dispatchers), drawn dotted. Not part of the cycle
   * search: a saga that commands a service and waits for its events is the design, not an
   * accident.
   */
  commands: CommandEdge[];
  /** Each cycle as the services on it, in order, the first repeated at the end. */
  cycles: string[][];
  /** A Mermaid `flowchart` of the edges; edges on a cycle are drawn thick. */
  mermaid: string;
}

/** Which service's events reach which services, flagging cycles between services. */
export function eventFlow(model: AppModel): EventFlow {
  const edges: FlowEdge[] = [];
  for (const { contract, publishers, consumers } of model.events) {
    for (const from of publishers)
      for (const { service: to } of consumers) edges.push({ from, to, event: contract.name });
  }
  const cycles = findCycles(edges);
  const onCycle = new Set<string>();
  for (const cycle of cycles) for (let i = 0; i + 1 < cycle.length; i++) onCycle.add(`${cycle[i]}>${cycle[i + 1]}`);
  // A saga's commands go to the service that serves them here, else to the one that owns the name.
  const servedBy = new Map(model.sync.map((op) => [op.contract.name, op.service]));
  const commands: CommandEdge[] = model.sagas.flatMap((saga) =>
    saga.sends.map((c) => ({ saga: saga.name, to: servedBy.get(c.name) ?? c.service, command: c.name })),
  );
  const id = (service: string) => service.replace(/[^a-zA-Z0-9_]/g, '_');
  const sagas = new Set(model.sagas.map((s) => s.name));
  const nodes = [
    ...new Set([...model.services, ...edges.flatMap((e) => [e.from, e.to]), ...commands.map((c) => c.to)]),
  ].sort();
  // A saga is a hexagon, apart from the services' boxes; its own topics (commands to its
  // dispatcher, replies, timeouts) are not drawn: the dotted command edges stand for them.
  const lines = [
    'flowchart LR',
    ...nodes.map((n) => (sagas.has(n) ? `  ${id(n)}{{"saga ${n}"}}` : `  ${id(n)}[${n}]`)),
  ];
  for (const e of edges) {
    const arrow = onCycle.has(`${e.from}>${e.to}`) ? '==>' : '-->';
    lines.push(`  ${id(e.from)} ${arrow}|${e.event}| ${id(e.to)}`);
  }
  for (const c of commands) lines.push(`  ${id(c.saga)} -.->|${c.command}| ${id(c.to)}`);
  return { edges, commands, cycles, mermaid: lines.join('\n') + '\n' };
}

/** Elementary cycles between services (a service consuming its own event is one too). */
function findCycles(edges: readonly FlowEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)!.add(to);
  }
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  const cycles: string[][] = [];
  // Start each search at the cycle's smallest node so every cycle is reported once.
  for (const start of nodes) {
    const path = [start];
    const onPath = new Set(path);
    const walk = (node: string): void => {
      for (const to of [...(next.get(node) ?? [])].sort()) {
        if (to === start) cycles.push([...path, start]);
        else if (to > start && !onPath.has(to)) {
          path.push(to);
          onPath.add(to);
          walk(to);
          onPath.delete(to);
          path.pop();
        }
      }
    };
    walk(start);
  }
  return cycles;
}
