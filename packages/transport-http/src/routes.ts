/**
 * The route convention, shared by the server and the client so they always agree:
 *
 *   command  POST /commands/<name>     JSON body is the input
 *   query    GET  /queries/<name>      input from the query string: `?input=<JSON>` or flat `?id=1&tag=a`
 *
 * A contract's `route` overrides it, and may name path parameters (`GET /orders/:id`),
 * which are merged into the input.
 */
import type { RouteSpec, SyncContract } from '@tandem/core';

/** The HTTP method and path a command or query is served on. */
export function routeOf(contract: SyncContract): RouteSpec {
  if (contract.route) return contract.route;
  return contract.kind === 'command'
    ? { method: 'POST', path: `/commands/${contract.name}` }
    : { method: 'GET', path: `/queries/${contract.name}` };
}

export function hasBody(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

interface ParamRoute<T> {
  segments: string[];
  methods: Map<string, T>;
}

export interface RouteMatch<T> {
  target: T;
  /** The path's `:params`; absent for routes without any. */
  params?: Record<string, string>;
  /** The first `:param` whose segment is not valid percent-encoding (`%`, `%E0%A4%A`): the request is malformed. */
  malformed?: string;
}

export type RouteLookup<T> = { found: RouteMatch<T> } | { allowed: string[] } | undefined;

/**
 * Exact paths by Map lookup; paths with `:params` by segment comparison. An exact path's
 * answers are built once, so looking one up allocates nothing.
 */
export class RouteTable<T> {
  private readonly exact = new Map<string, Map<string, RouteLookup<T>>>();
  private readonly withParams: ParamRoute<T>[] = [];

  add(route: RouteSpec, target: T): void {
    if (route.path.includes('/:')) claim(this.paramMethods(route.path), route, target);
    else claim(this.exactAnswers(route.path), route, { found: { target } });
  }

  private exactAnswers(path: string): Map<string, RouteLookup<T>> {
    let answers = this.exact.get(path);
    if (!answers) this.exact.set(path, (answers = new Map()));
    return answers;
  }

  private paramMethods(path: string): Map<string, T> {
    const segments = path.split('/');
    const existing = this.withParams.find((r) => r.segments.join('/') === segments.join('/'));
    if (existing) return existing.methods;
    const route: ParamRoute<T> = { segments, methods: new Map() };
    this.withParams.push(route);
    return route.methods;
  }

  /** `{ found }`, `{ allowed }` when the path exists for other methods, or undefined for no such path. */
  lookup(method: string, path: string): RouteLookup<T> {
    const answers = this.exact.get(path);
    if (answers) return answers.get(method) ?? { allowed: [...answers.keys()] };
    const parts = path.split('/');
    for (const route of this.withParams) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let matched = true;
      let malformed: string | undefined;
      for (let i = 0; i < parts.length; i++) {
        const segment = route.segments[i]!;
        if (segment.startsWith(':')) {
          if (parts[i] === '') matched = false;
          else {
            const value = decodeSegment(parts[i]!);
            if (value === undefined) malformed ??= segment.slice(1);
            else params[segment.slice(1)] = value;
          }
        } else if (segment !== parts[i]) matched = false;
        if (!matched) break;
      }
      if (!matched) continue;
      const target = route.methods.get(method);
      if (target === undefined) return { allowed: [...route.methods.keys()] };
      return { found: malformed === undefined ? { target, params } : { target, params, malformed } };
    }
    return undefined;
  }
}

/** A path segment percent-decoded, or undefined when its encoding is malformed (decodeURIComponent would throw). */
function decodeSegment(part: string): string | undefined {
  if (!part.includes('%')) return part;
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** Registers `value` for the route's method, refusing a second handler for one method and path. */
function claim<V>(methods: Map<string, V>, route: RouteSpec, value: V): void {
  if (methods.has(route.method)) throw new Error(`two handlers for ${route.method} ${route.path}`);
  methods.set(route.method, value);
}

/** Fills `:params` of a route path from the input (the client side of the convention). */
export function fillPath(path: string, input: unknown): { path: string; used: Set<string> } {
  const used = new Set<string>();
  const filled = path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const value = (input as Record<string, unknown> | undefined)?.[name];
    if (value === undefined || value === null) throw new TypeError(`route ${path} needs '${name}' in the input`);
    used.add(name);
    return encodeURIComponent(String(value));
  });
  return { path: filled, used };
}
