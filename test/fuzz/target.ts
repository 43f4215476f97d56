import { z } from 'zod';
import {
  createApp,
  defineCommand,
  defineQuery,
  memoryStore,
  service,
  silentLogger,
  UnauthorizedError,
  type App,
} from '@tandem/core';
import { httpServer, type HttpServer } from '@tandem/transport-http';

/**
 * The service the fuzz suite attacks: a route with a path parameter, a query, a bounded
 * command, a command whose contract forgot to bound its array (the contract author's
 * mistake the server must survive), one that takes any JSON, and an auth hook.
 */
export const PutThing = defineCommand('things.put', {
  route: { method: 'PUT', path: '/things/:id' },
  input: z.object({
    id: z.string().max(50),
    name: z.string().max(100),
    tags: z.array(z.string().max(20)).max(50).default([]),
    nested: z.object({ a: z.number(), b: z.array(z.object({ c: z.boolean() })).max(10) }).optional(),
  }),
  output: z.object({ id: z.string(), tags: z.number() }),
});

export const GetThing = defineQuery('things.get', {
  route: { method: 'GET', path: '/things/:id' },
  input: z.object({ id: z.string().max(50), verbose: z.enum(['yes', 'no']).optional() }),
  output: z.object({ id: z.string() }),
});

export const Bulk = defineCommand('things.bulk', {
  input: z.object({ items: z.array(z.object({ n: z.number(), label: z.string() })) }),
  output: z.object({ count: z.number() }),
});

export const Echo = defineCommand('things.echo', {
  input: z.unknown(),
  output: z.object({ kind: z.string() }),
});

export const Private = defineQuery('things.private', {
  input: z.object({}),
  output: z.object({ principal: z.string() }),
});

const Things = service('things')
  .command(PutThing, (input) => ({ id: input.id, tags: input.tags.length }))
  .query(GetThing, (input) => ({ id: input.id }))
  .command(Bulk, (input) => ({ count: input.items.length }))
  .command(Echo, (input) => ({ kind: Array.isArray(input) ? 'array' : typeof input }))
  .query(Private, (_input, ctx) => ({ principal: ctx.meta.principal ?? 'anonymous' }));

export interface Target {
  app: App;
  server: HttpServer;
  url: string;
}

export async function startTarget(): Promise<Target> {
  const server = httpServer({
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    auth: (request) => {
      if (request.endpoint.contract.name !== Private.name) return undefined;
      const header = request.headers.authorization;
      if (header !== 'Bearer letmein') throw new UnauthorizedError('things.private needs a bearer token');
      return 'fuzzer';
    },
  });
  const app = createApp({ services: [Things], store: memoryStore(), http: server, logger: silentLogger });
  await app.start();
  return { app, server, url: server.url! };
}
