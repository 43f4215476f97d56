import { createHook } from 'node:async_hooks';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, defineCommand, defineQuery, describeApp, service, silentLogger } from '@tandem/core';
import { httpClient, httpServer, openApiDocument } from '../src/index.js';

const Plain = defineCommand('notes.add', {
  input: z.object({ text: z.string() }),
  output: z.object({ ok: z.boolean() }),
});
const NoteV1 = z.object({ text: z.string() });
const Versioned = defineCommand('notes.write', {
  version: 3,
  input: z.object({ body: z.string(), tags: z.array(z.string()) }),
  output: z.object({ ok: z.boolean() }),
  from: {
    1: { input: NoteV1, upcast: ({ text }) => ({ body: text }) },
    2: { input: z.object({ body: z.string() }), upcast: (v2) => ({ ...v2, tags: [] }) },
  },
});
const Search = defineQuery('notes.search', {
  version: 2,
  input: z.object({ q: z.string() }),
  output: z.object({ hits: z.number() }),
  from: { 1: { input: z.object({ text: z.string() }), upcast: ({ text }) => ({ q: text }) } },
});

describe('the tandem-contract-version header', () => {
  it("is sent by the client on every call with its contract's version, 1 for an unversioned contract", async () => {
    const seen: Array<[string | undefined, string | string[] | undefined]> = [];
    const fake = createServer((req, res) => {
      seen.push([req.url, req.headers['tandem-contract-version']]);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"hits":0}'));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const client = httpClient({
      services: { notes: `http://127.0.0.1:${(fake.address() as AddressInfo).port}` },
      // A caller's own header does not override the contract's version.
      headers: { 'tandem-contract-version': '9' },
    });
    try {
      await client.call(Plain, { text: 'a' });
      await client.call(Versioned, { body: 'b', tags: [] });
      await client.call(Search, { q: 'c' });
    } finally {
      await client.close();
      await new Promise((resolve) => fake.close(resolve));
    }
    expect(seen).toEqual([
      ['/commands/notes.add', '1'],
      ['/commands/notes.write', '3'],
      ['/queries/notes.search?input=%7B%22q%22%3A%22c%22%7D', '2'],
    ]);
  });

  it('is documented in OpenAPI on versioned operations only, with the versions the server takes', async () => {
    const model = describeApp([
      service('notes')
        .command(Plain, async () => ({ ok: true }))
        .command(Versioned, async () => ({ ok: true }))
        .query(Search, async () => ({ hits: 0 })),
    ]);
    const doc = openApiDocument(model, { title: 'notes', version: '1.0.0' });
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    type Operation = { parameters: Array<{ name: string; in: string; schema?: unknown }>; [k: string]: unknown };
    const paths = doc.paths as Record<string, Record<string, Operation>>;
    const write = paths['/commands/notes.write']!.post!;
    expect(write.parameters).toContainEqual(
      expect.objectContaining({
        name: 'tandem-contract-version',
        in: 'header',
        required: false,
        schema: { type: 'integer', enum: [1, 2, 3], default: 3 },
      }),
    );
    expect(write['x-tandem-version']).toBe(3);
    expect(write['x-tandem-accepts-versions']).toEqual([1, 2]);
    expect(write['x-tandem-older-inputs']).toMatchObject({
      '1': { type: 'object', required: ['text'] },
      '2': { type: 'object', required: ['body'] },
    });
    const search = paths['/queries/notes.search']!.get!;
    expect(search.parameters.find((p) => p.name === 'tandem-contract-version')?.schema).toEqual({
      type: 'integer',
      enum: [1, 2],
      default: 2,
    });
    const add = paths['/commands/notes.add']!.post!;
    expect(add.parameters.map((p) => p.name)).not.toContain('tandem-contract-version');
    expect(add['x-tandem-version']).toBeUndefined();
  });

  it('costs a current-version request no promise beyond an unversioned one', async () => {
    const http = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const app = createApp({
      services: [service('notes').command(Versioned, async () => ({ ok: true }))],
      http,
      logger: silentLogger,
      checkOutput: false,
    });
    await app.start();
    const post = (version: string, body: string) =>
      new Promise<number>((resolve) => {
        // Counted from a timer callback to the answer's end (see request-promises.test.ts);
        // noise from the test worker only adds, so the fewest over a few requests is the count.
        setTimeout(() => {
          let promises = 0;
          const hook = createHook({
            init(_id, type) {
              if (type === 'PROMISE') promises++;
            },
          });
          hook.enable();
          const headers = { 'content-type': 'application/json', 'tandem-contract-version': version };
          const req = request(`${http.url}/commands/notes.write`, { method: 'POST', headers }, (res) => {
            res.resume();
            res.on('end', () => {
              hook.disable();
              expect(res.statusCode).toBe(200);
              resolve(promises);
            });
          });
          req.end(body);
        }, 0);
      });
    try {
      const current: number[] = [];
      const older: number[] = [];
      for (let round = 0; round < 6; round++) {
        current.push(await post('3', '{"body":"b","tags":[]}'));
        older.push(await post('1', '{"text":"t"}'));
      }
      // The handler's promise and the runtime's reaction to it, as for any command.
      expect(Math.min(...current.slice(1))).toBe(2);
      // An older version's input goes through the async upcast: more, and only for it.
      expect(Math.min(...older.slice(1))).toBeGreaterThan(2);
    } finally {
      await app.stop();
    }
  });

  it('takes a contract made by an older @tandem/core, without version fields, as version 1', async () => {
    const { version: _v, olderVersions: _o, ...fields } = Plain;
    const Legacy = Object.freeze({ ...fields, name: 'notes.legacy' }) as unknown as typeof Plain;
    const http = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const app = createApp({
      services: [service('notes').command(Legacy, async ({ text }) => ({ ok: text === 'a' }))],
      http,
      logger: silentLogger,
    });
    await app.start();
    const client = httpClient({ services: { notes: http.url! } });
    try {
      expect(await client.call(Legacy, { text: 'a' })).toEqual({ ok: true });
      const newer = await fetch(`${http.url}/commands/notes.legacy`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'tandem-contract-version': '2' },
        body: '{"text":"a"}',
      });
      expect(newer.status).toBe(400);
      expect(((await newer.json()) as { detail: string }).detail).toContain(
        "'notes.legacy' takes input versions 1 (current: 1)",
      );
      const model = describeApp([service('notes').command(Legacy, async () => ({ ok: true }))]);
      const doc = openApiDocument(model, { title: 'notes', version: '1.0.0' }) as {
        paths: Record<string, { post: { parameters: Array<{ name: string }> } }>;
      };
      expect(doc.paths['/commands/notes.legacy']!.post.parameters.map((p) => p.name)).not.toContain(
        'tandem-contract-version',
      );
    } finally {
      await client.close();
      await app.stop();
    }
  });
});
