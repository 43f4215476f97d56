import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BrokerError, silentLogger, UnavailableError } from '@tandem/core';
import { conformanceMessage } from '@tandem/core/testing';
import { RabbitMQTransport } from './transport.js';

/** A port where nothing listens: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('RabbitMQTransport without a broker', () => {
  it('fails connect() with UnavailableError naming the URL (no user or password) once connectTimeoutMs passes', async () => {
    const port = await closedPort();
    const t = new RabbitMQTransport({
      url: `amqp://guest:secret@127.0.0.1:${port}/shop`,
      connectTimeoutMs: 400,
      logger: silentLogger,
    });
    const error = await t.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toContain(`amqp://***@127.0.0.1:${port}/shop`);
    expect((error as Error).message).not.toContain('guest');
    expect((error as Error).message).not.toContain('secret');
    expect(t.health().ok).toBe(false);
  });

  it('refuses publish and subscribe before connect() with a BrokerError that says what to do', async () => {
    const t = new RabbitMQTransport({ logger: silentLogger });
    await expect(t.publish([conformanceMessage('a.b', {})])).rejects.toThrow(BrokerError);
    await expect(t.publish([conformanceMessage('a.b', {})])).rejects.toThrow(/call connect\(\) before publish/);
    await expect(
      t.subscribe({ topics: ['a.b'], group: 'g', concurrency: 1 }, async () => ({ kind: 'ack' })),
    ).rejects.toThrow(/call connect\(\) before subscribe/);
  });
});
