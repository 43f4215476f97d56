import { request as httpRequest, Agent, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '@tandem/core';
import { orders, startApp } from './fixtures.js';

// Bodies as the server's own request class reads them (ServerRequest): chunk by chunk as
// the parser pushes them, past the stream's 16 KiB buffer mark, refused past the limit,
// and a client that goes away mid-body.

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

interface Answer {
  status: number;
  body: string;
}

/** POSTs `chunks` with chunked transfer encoding (no content-length), `gapMs` apart. */
async function postChunked(url: string, chunks: string[], gapMs = 5, agent?: Agent): Promise<Answer> {
  const req = httpRequest(`${url}/commands/orders.place`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    agent,
  });
  const answered = once(req, 'response') as Promise<[IncomingMessage]>;
  // After a refusal the server closes the connection, and a write still under way may then
  // fail; an error before the answer still rejects `answered`.
  req.on('error', () => {});
  let early = false;
  answered.then(
    () => (early = true),
    () => {},
  );
  for (const chunk of chunks) {
    // A server that refused the body answers before it ends; the rest is not sent.
    if (early) break;
    req.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  req.end();
  const [res] = await answered;
  let body = '';
  for await (const part of res) body += String(part);
  return { status: res.statusCode!, body };
}

/** `text` cut into `n` pieces. */
function split(text: string, n: number): string[] {
  const size = Math.ceil(text.length / n);
  return Array.from({ length: n }, (_, i) => text.slice(i * size, (i + 1) * size));
}

describe('http server: request bodies', () => {
  it('reads a 100 KiB body that arrives in 20 chunks, well past the stream buffer mark', async () => {
    const started = await startApp();
    app = started.app;
    const body = JSON.stringify({ sku: 'x'.repeat(100 * 1024), qty: 3 });
    const res = await postChunked(started.url, split(body, 20));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ total: 30 });
  });

  it('refuses a chunked body once it passes the limit, without running the handler', async () => {
    const started = await startApp({ bodyLimit: 4096 });
    app = started.app;
    const before = orders.size;
    const body = JSON.stringify({ sku: 'y'.repeat(20_000), qty: 1 });
    const res = await postChunked(started.url, split(body, 10), 20);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'TANDEM_PAYLOAD_TOO_LARGE' });
    expect(orders.size).toBe(before);
    const after = await postChunked(started.url, [JSON.stringify({ sku: 'z', qty: 2 })]);
    expect(after.status).toBe(200);
  });

  it('drops a request whose client goes away mid-body, and keeps serving', async () => {
    const started = await startApp();
    app = started.app;
    const before = orders.size;
    const req = httpRequest(`${started.url}/commands/orders.place`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '1000' },
    });
    req.on('error', () => {});
    req.write('{"sku": "half');
    await new Promise((resolve) => setTimeout(resolve, 50));
    req.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(orders.size).toBe(before);
    const res = await postChunked(started.url, [JSON.stringify({ sku: 'whole', qty: 1 })]);
    expect(res.status).toBe(200);
    expect(orders.size).toBe(before + 1);
  });

  it('serves commands one after another on one keep-alive connection', async () => {
    const started = await startApp();
    app = started.app;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    try {
      for (let qty = 1; qty <= 5; qty++) {
        const res = await postChunked(started.url, split(JSON.stringify({ sku: 'k', qty }), 2), 1, agent);
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body)).toMatchObject({ total: qty * 10 });
        for (const list of Object.values(agent.freeSockets)) for (const socket of list ?? []) sockets.add(socket);
      }
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});
