import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, defineCommand, silentLogger, type App } from '@tandem/core';
import { httpServer, type HttpServer } from '../src/index.js';

interface Tree {
  child?: Tree | undefined;
  leaf?: number | undefined;
}
const TreeSchema: z.ZodType<Tree> = z.lazy(() =>
  z.object({ child: TreeSchema.optional(), leaf: z.number().optional() }),
);

const Store = defineCommand('deep.store', {
  input: z.object({ tag: z.string(), blob: z.unknown() }),
  output: z.object({ tag: z.string(), runs: z.number() }),
});
const Echo = defineCommand('deep.echo', { input: z.object({ blob: z.unknown() }), output: z.unknown() });
const Walk = defineCommand('deep.walk', { input: TreeSchema, output: z.object({ ok: z.boolean() }) });

const objects = (depth: number, leaf = '1') => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const tree = (depth: number, leaf: string) => `${'{"child":'.repeat(depth)}{"leaf":${leaf}}${'}'.repeat(depth)}`;

describe('deeply nested input, with and without Idempotency-Key', () => {
  let app: App;
  let server: HttpServer;
  let runs = 0;
  beforeAll(async () => {
    // Past the default maxJsonDepth and maxJsonContainers on purpose: what is checked here is that nothing after
    // the body reader recurses over the input's depth, for a server configured to take it.
    server = httpServer({
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger,
      bodyLimit: 4 * 1024 * 1024,
      maxJsonDepth: 1_000_000,
      maxJsonContainers: 10_000_000,
    });
    app = createApp({ name: 'deep', http: server, logger: silentLogger });
    app.command(Store, async ({ tag }) => ({ tag, runs: ++runs }));
    app.command(Echo, async ({ blob }) => blob);
    app.command(Walk, async () => ({ ok: true }));
    await app.start();
  });
  afterAll(() => app.stop());

  const post = (name: string, body: string, key?: string) =>
    fetch(`${server.url}/commands/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body,
    }).then(async (res) => ({
      status: res.status,
      text: await res.text(),
      replayed: res.headers.get('idempotent-replayed'),
    }));

  for (const depth of [5_000, 100_000]) {
    for (const [shape, blob] of [
      ['objects', objects(depth)],
      ['arrays', arrays(depth)],
    ] as const) {
      it(`${depth} levels of ${shape} under an Idempotency-Key run once, and keys in another order replay`, async () => {
        const key = `k-${depth}-${shape}`;
        const before = runs;
        const first = await post(Store.name, `{"tag":"t","blob":${blob}}`, key);
        expect(first.status).toBe(200);
        const reordered = await post(Store.name, `{"blob":${blob},"tag":"t"}`, key);
        expect(reordered).toEqual({ ...first, replayed: 'true' });
        expect(runs).toBe(before + 1);
        const other = await post(Store.name, `{"blob":${blob},"tag":"u"}`, key);
        expect(other.status).toBe(422);
      });
    }

    it(`${depth} levels against a recursive schema are a 400, not a 500`, async () => {
      const { status, text } = await post(Walk.name, tree(depth, '"not a number"'));
      expect(status).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ code: 'TANDEM_VALIDATION' });
    });

    it(`${depth} levels echoed back by a handler under an Idempotency-Key are never a second run`, async () => {
      const key = `echo-${depth}`;
      const first = await post(Echo.name, `{"blob":${objects(depth)}}`, key);
      // Encoding the answer overflows JSON.stringify: the handler's output, a 500; but it ran.
      const again = await post(Echo.name, `{"blob":${objects(depth)}}`, key);
      expect(again.replayed).toBe('true');
      expect(again.status).toBeLessThan(500);
      expect(JSON.parse(again.text)).toMatchObject({ code: 'TANDEM_IDEMPOTENCY_RESULT_NOT_STORED' });
      expect(first.replayed).toBeNull();
    });
  }

  it('an issue deep in a recursive schema is reported with its path cut to size', async () => {
    const { status, text } = await post(Walk.name, tree(1_000, '"x"'));
    expect(status).toBe(400);
    expect(Buffer.byteLength(text)).toBeLessThan(20 * 1024);
    const problem = JSON.parse(text) as { issues: Array<{ path: string }> };
    expect(problem.issues[0]!.path.length).toBeLessThanOrEqual(4 * 1024);
    expect(problem.issues[0]!.path).toMatch(/^child\.child\..*…/);
    expect(problem.issues[0]!.path.endsWith('child.leaf')).toBe(true);
  });
});
