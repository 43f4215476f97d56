/**
 * The fault run's broker proxy: a cut drops every open connection, an outage refuses new
 * ones until it ends, on the same port. Against a real echo server on loopback.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '@tandem/core/testing';
import { startProxy, type Proxy } from '../../scripts/chaos/proxy.mjs';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function echo(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (data) => resolve(String(data)));
    socket.write(text);
  });
}

describe('chaos proxy', () => {
  let server: Server | undefined;
  let proxy: Proxy | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await proxy?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  async function start(): Promise<Proxy> {
    server = createServer((s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    proxy = await startProxy({ host: '127.0.0.1', port });
    return proxy;
  }

  it('passes bytes both ways, and a cut drops every open connection while new ones still connect', async () => {
    const p = await start();
    const a = await open(p.port);
    const b = await open(p.port);
    sockets.push(a, b);
    a.on('error', () => undefined);
    b.on('error', () => undefined);
    expect(await echo(a, 'ping')).toBe('ping');
    await eventually('two connections through the proxy', () => p.connections() === 2);
    const closed = Promise.all([a, b].map((s) => new Promise((resolve) => s.once('close', resolve))));
    expect(p.cut()).toBe(2);
    await closed;
    const c = await open(p.port);
    sockets.push(c);
    expect(await echo(c, 'again')).toBe('again');
  });

  it('refuses connections during an outage and accepts them on the same port after it', async () => {
    const p = await start();
    const a = await open(p.port);
    a.on('error', () => undefined);
    sockets.push(a);
    expect(await echo(a, 'x')).toBe('x');
    const closed = new Promise((resolve) => a.once('close', resolve));
    expect(await p.down()).toBe(1);
    await closed;
    await expect(open(p.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await p.up();
    const b = await open(p.port);
    sockets.push(b);
    expect(await echo(b, 'back')).toBe('back');
  });
});
