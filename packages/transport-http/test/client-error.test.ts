import { connect } from 'node:net';
import { createApp, defineQuery, MemoryTransport, silentLogger } from '@tandem/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpServer, type HttpServer } from '../src/index.js';

const GetShipment = defineQuery('shipping.get', {
  input: z.object({ orderId: z.string() }),
  output: z.object({ orderId: z.string() }),
});

/** Sends `raw` bytes on a fresh connection; resolves with everything the server wrote before it closed. */
function sendRaw(url: string, raw: Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(raw));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parse(answer: string): { status: number; headers: string; body: unknown } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
    headers: head.toLowerCase(),
    body: body === '' ? '' : (JSON.parse(body) as unknown),
  };
}

describe('requests node:http refuses before they reach a route', () => {
  const server: HttpServer = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  const app = createApp({ broker: new MemoryTransport(), http: server, logger: silentLogger });
  app.query(GetShipment, (input) => ({ orderId: input.orderId }));

  beforeAll(() => app.start());
  afterAll(() => app.stop());

  it("README's `orderId=019a…` pasted verbatim gets a 400 problem naming what is wrong", async () => {
    // What curl sends for the README's line: the ellipsis as raw UTF-8 bytes in the request line.
    const answer = parse(
      await sendRaw(
        server.url!,
        Buffer.from('GET /queries/shipping.get?orderId=019a… HTTP/1.1\r\nhost: x\r\n\r\n', 'utf8'),
      ),
    );
    expect(answer.status).toBe(400);
    expect(answer.headers).toContain('content-type: application/problem+json');
    expect(answer.body).toMatchObject({
      status: 400,
      code: 'TANDEM_MALFORMED_REQUEST',
      detail: expect.stringContaining(
        "percent-encode the rest (encodeURIComponent), and replace a placeholder such as '019a…'",
      ),
    });
  });

  it('answers every parser refusal with a problem body, never an empty one', async () => {
    const cases: [string, Buffer, number][] = [
      ['bad header name', Buffer.from('GET /queries/shipping.get HTTP/1.1\r\nho st: x\r\n\r\n'), 400],
      ['not HTTP at all', Buffer.from('hello\r\n\r\n'), 400],
      ['headers past the limit', Buffer.from(`GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`), 431],
    ];
    for (const [name, raw, status] of cases) {
      const answer = parse(await sendRaw(server.url!, raw));
      expect({ name, status: answer.status }).toEqual({ name, status });
      expect(answer.headers).toContain('content-type: application/problem+json');
      expect(answer.body).toMatchObject({
        status,
        code: expect.stringMatching(/^TANDEM_/),
        detail: expect.any(String),
      });
    }
  });
});
