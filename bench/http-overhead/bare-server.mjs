// The baseline: a bare node:http handler doing what Tandem does for one command (read the
// JSON body under a size limit, parse, validate with zod, answer JSON, 400 on bad input).
import { createServer } from 'node:http';
import { PlaceOrder, total } from './payload.mjs';
import { reportCpuOnSignal } from '../lib/server-process.mjs';

reportCpuOnSignal();

const LIMIT = 1024 * 1024;

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/commands/orders.place') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > LIMIT) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    let input;
    try {
      input = PlaceOrder.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"malformed json"}');
      return;
    }
    if (!input.success) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ issues: input.error.issues }));
      return;
    }
    const payload = JSON.stringify({ accepted: true, total: total(input.data) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  });
});

server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
