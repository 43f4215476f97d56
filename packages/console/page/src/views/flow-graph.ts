import dagre from '@dagrejs/dagre';
import type { Model } from '../types.js';

/** A node of the event-flow graph: a service, an event type, or a consumer group. */
export interface FlowNode {
  id: string;
  kind: 'service' | 'event' | 'group';
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An edge: a service publishes a type, a group receives a type, a group belongs to a service. */
export interface FlowLink {
  id: string;
  kind: 'publishes' | 'delivers' | 'runs-in';
  from: string;
  to: string;
  /** On a cycle of events between services (the model's flow.cycles). */
  cycle: boolean;
  points: Array<{ x: number; y: number }>;
  label?: { x: number; y: number };
}

export interface FlowLayout {
  nodes: FlowNode[];
  links: FlowLink[];
  width: number;
  height: number;
}

const CHAR = 7;
export const serviceId = (name: string) => `service:${name}`;
export const eventId = (name: string) => `event:${name}`;
export const groupId = (name: string) => `group:${name}`;

/** Pairs of services next to each other on a cycle, as "from→to". */
function cycleSteps(model: Model): Set<string> {
  const steps = new Set<string>();
  for (const cycle of model.flow.cycles)
    for (let i = 0; i + 1 < cycle.length; i++) steps.add(`${cycle[i]}→${cycle[i + 1]}`);
  return steps;
}

/** The graph of the model laid out left to right by dagre. */
export function layoutFlow(model: Model): FlowLayout {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 70, marginx: 10, marginy: 10 });
  graph.setDefaultEdgeLabel(() => ({}));
  const nodes = new Map<string, Pick<FlowNode, 'id' | 'kind' | 'label'>>();
  const add = (id: string, kind: FlowNode['kind'], label: string) => {
    if (nodes.has(id)) return;
    nodes.set(id, { id, kind, label });
    graph.setNode(id, { width: Math.max(80, label.length * CHAR + 24), height: 30 });
  };
  const steps = cycleSteps(model);
  const links: Array<Omit<FlowLink, 'points' | 'label'>> = [];
  const link = (kind: FlowLink['kind'], from: string, to: string, cycle: boolean) => {
    const id = `${kind}|${from}|${to}`;
    links.push({ id, kind, from, to, cycle });
    graph.setEdge(from, to, kind === 'runs-in' ? {} : { width: 56, height: 16, labelpos: 'c' }, id);
  };
  for (const service of model.services) add(serviceId(service), 'service', service);
  for (const event of model.events) {
    add(eventId(event.name), 'event', event.name);
    for (const publisher of event.publishers) {
      add(serviceId(publisher), 'service', publisher);
      const cycle = event.consumers.some((c) => steps.has(`${publisher}→${c.service}`));
      link('publishes', serviceId(publisher), eventId(event.name), cycle);
    }
    for (const consumer of event.consumers) {
      add(groupId(consumer.group), 'group', consumer.group);
      const cycle = event.publishers.some((p) => steps.has(`${p}→${consumer.service}`));
      link('delivers', eventId(event.name), groupId(consumer.group), cycle);
    }
  }
  for (const group of model.groups) link('runs-in', groupId(group.group), serviceId(group.service), false);
  dagre.layout(graph);
  const size = graph.graph();
  return {
    nodes: [...nodes.values()].map((node) => {
      const laid = graph.node(node.id);
      return { ...node, x: laid.x, y: laid.y, width: laid.width, height: laid.height };
    }),
    links: links.map((l) => {
      const laid = graph.edge({ v: l.from, w: l.to, name: l.id });
      return {
        ...l,
        points: laid.points ?? [],
        ...(laid.x !== undefined && laid.y !== undefined ? { label: { x: laid.x, y: laid.y } } : {}),
      };
    }),
    width: size.width ?? 400,
    height: size.height ?? 200,
  };
}
