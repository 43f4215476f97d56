import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

/**
 * A stand-in for the shop's two routes the load script uses. Order 19 (the 20th, whose
 * answer the old script announced as "placed 20") is answered last of its batch, as a
 * loaded shop may answer one request late, while the others go on.
 */
function stubShop(): Server {
  return createServer((req, res) => {
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const i = Number(/customer-(\d+)@/.exec(body)?.[1]);
        setTimeout(
          () =>
            res.writeHead(200, { 'content-type': 'application/json' }).end(`{"orderId":"o-${i}","status":"accepted"}`),
          i === 19 ? 500 : 1,
        );
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"shipped"}');
  });
}

describe('the load script', () => {
  const server = stubShop();
  let url = '';

  beforeAll(async () => {
    execFileSync(process.execPath, [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-b',
      join(here, '..', 'tsconfig.build.json'),
    ]);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }, 120_000);
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('prints its progress lines in order, ending at the total', async () => {
    const child = spawn(
      process.execPath,
      [join(here, '..', 'dist', 'load.js'), '--orders', '200', '--concurrency', '20', '--url', url],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const placed = [...out.matchAll(/^placed (\d+)\/200$/gm)].map((m) => Number(m[1]));
    expect(placed).toEqual([20, 40, 60, 80, 100, 120, 140, 160, 180, 200]);
  }, 120_000);
});
