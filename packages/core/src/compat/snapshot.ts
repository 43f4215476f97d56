/**
 * The baseline `tandem contracts snapshot` writes and `tandem contracts check` compares
 * against: every command, query and event of an app, with its route or topic, its JSON
 * Schemas (the side a parser accepts), and who serves, publishes and consumes it. Keys are
 * sorted at every level so the file diffs well in git.
 */
import type { EventContract, RouteSpec, SyncContract } from '../contracts/contracts.js';
import type { AppModel } from '../docs/app-model.js';
import { jsonSchemaOf, type JsonSchema } from '../docs/json-schema.js';

/** A command or query in the baseline. */
export interface SyncSnapshot {
  kind: 'command' | 'query';
  service: string;
  route: RouteSpec;
  description?: string;
  input: JsonSchema;
  output: JsonSchema;
  /**
   * The input's version, written only for a versioned contract (a version above 1, or older
   * versions): a baseline without it means version 1, so unversioned contracts snapshot as before.
   */
  version?: number;
  /** Versions the contract declares an input upcaster from (its `from` keys), oldest first; with `version`. */
  upcastsFrom?: number[];
  /** The upcasters' declared input schemas, by the version they read; with `version`. */
  upcasterInput?: Record<string, JsonSchema>;
}

/** An event in the baseline. */
export interface EventSnapshot {
  topic: string;
  version: number;
  /** Versions the contract declares an upcaster from (its `from` keys), oldest first. */
  upcastsFrom: number[];
  description?: string;
  data: JsonSchema;
  /** The upcasters' declared data schemas, by the version they read. */
  upcasterData: Record<string, JsonSchema>;
  producers: string[];
  consumers: Array<{ service: string; group: string }>;
}

/** Every contract of an app, as `tandem contracts snapshot` writes it. */
export interface ContractsSnapshot {
  format: 'tandem-contracts/1';
  sync: Record<string, SyncSnapshot>;
  events: Record<string, EventSnapshot>;
}

/** The format tag a baseline file carries. */
export const SNAPSHOT_FORMAT = 'tandem-contracts/1';

/** The route the HTTP transport serves a contract on: its own, else POST /commands/<name> or GET /queries/<name>. */
function routeOf(contract: SyncContract): RouteSpec {
  if (contract.route) return { method: contract.route.method, path: contract.route.path };
  return contract.kind === 'command'
    ? { method: 'POST', path: `/commands/${contract.name}` }
    : { method: 'GET', path: `/queries/${contract.name}` };
}

function schemaOf(schema: Parameters<typeof jsonSchemaOf>[0]): JsonSchema {
  // 'input': what a parser of this side accepts, which is what compatibility is about.
  return jsonSchemaOf(schema, 'input', 'draft-2020-12');
}

/** The older versions an event's consumers still read (`defineEvent(..., { from })`), by version. */
function upcastersOf(contract: EventContract): Record<string, { data?: unknown }> {
  const out: Record<string, { data?: unknown }> = {};
  for (const [version, older] of contract.olderVersions ?? []) out[String(version)] = { data: older.data };
  return out;
}

/** A versioned command's or query's version, upcasters and their input schemas; nothing for an unversioned one. */
function inputVersionsOf(contract: SyncContract): Pick<SyncSnapshot, 'version' | 'upcastsFrom' | 'upcasterInput'> {
  // Contracts made by hand or by an older @tandem/core may lack the version fields.
  const version = contract.version ?? 1;
  const older = [...(contract.olderVersions ?? [])].sort(([x], [y]) => x - y);
  if (version === 1 && older.length === 0) return {};
  return {
    version,
    upcastsFrom: older.map(([v]) => v),
    upcasterInput: Object.fromEntries(older.map(([v, { input }]) => [String(v), schemaOf(input)])),
  };
}

/** The baseline of an app model: its commands, queries and events with their schemas and users. */
export function contractsSnapshot(model: AppModel): ContractsSnapshot {
  const sync: Record<string, SyncSnapshot> = {};
  for (const op of model.sync) {
    const c = op.contract;
    sync[c.name] = {
      kind: c.kind,
      service: c.service,
      route: routeOf(c),
      ...(c.description ? { description: c.description } : {}),
      input: schemaOf(c.input),
      output: schemaOf(c.output),
      ...inputVersionsOf(c),
    };
  }
  const events: Record<string, EventSnapshot> = {};
  for (const use of model.events) {
    const c = use.contract;
    const from = upcastersOf(c);
    const upcasterData: Record<string, JsonSchema> = {};
    for (const [version, upcaster] of Object.entries(from)) {
      const data = upcaster?.data as Parameters<typeof jsonSchemaOf>[0] | undefined;
      if (data && typeof data.safeParse === 'function') upcasterData[version] = schemaOf(data);
    }
    events[c.name] = {
      topic: c.topic,
      version: c.version,
      upcastsFrom: Object.keys(from)
        .map(Number)
        .filter(Number.isInteger)
        .sort((x, y) => x - y),
      ...(c.description ? { description: c.description } : {}),
      data: schemaOf(c.data),
      upcasterData,
      producers: [...use.publishers].sort(),
      consumers: use.consumers
        .map(({ service, group }) => ({ service, group }))
        .sort((x, y) => `${x.service} ${x.group}`.localeCompare(`${y.service} ${y.group}`)),
    };
  }
  return sortKeys({ format: SNAPSHOT_FORMAT, sync, events }) as ContractsSnapshot;
}

/** Object keys sorted at every level, and `required` lists sorted (they are sets); other arrays keep their order. */
export function sortKeys(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => sortKeys(v));
    return key === 'required' ? items.sort() : items;
  }
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v, k)]));
}

/** The baseline as file text: two-space JSON with a final newline. */
export function snapshotText(snapshot: ContractsSnapshot): string {
  return JSON.stringify(sortKeys(snapshot), null, 2) + '\n';
}
