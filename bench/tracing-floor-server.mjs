// The `floor` of bench/tracing.mjs: the tracing bench's workload on a bare node:http server,
// with no Tandem, making the spans Tandem makes: a SERVER span (trace context extracted
// from the request, the same semantic-convention attributes, ended when the response
// closes) and a PRODUCER span for the event (context injected into its headers), the
// handler run inside context.with. What is left between this and tracing-server.mjs is
// Tandem's own share of the tracing cost. TANDEM_BENCH_OTEL: off | tracing (as there).
import { createServer } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { z } from 'zod';
import { PlaceOrder, total } from './http-overhead/payload.mjs';
import { reportCpuOnSignal } from './lib/server-process.mjs';

reportCpuOnSignal();
const traced = process.env.TANDEM_BENCH_OTEL === 'tracing';
if (traced) {
  const discard = {
    export(_spans, done) {
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: async () => undefined,
  };
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(
    new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: discard })] }),
  );
}
const tracer = trace.getTracer('bench-floor');
const OrderPlaced = z.object({ customerId: z.string(), total: z.number() });
const route = '/commands/orders.place';

function serverSpan(req, res) {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = tracer.startSpan(
    `POST ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'POST',
        'http.route': route,
        'url.path': route,
        'url.scheme': 'http',
        'server.address': '127.0.0.1',
        'server.port': req.socket.localPort,
        'client.address': req.socket.remoteAddress,
        'network.protocol.version': req.httpVersion,
        'user_agent.original': req.headers['user-agent'],
      },
    },
    parent,
  );
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    span.end();
  });
  return trace.setSpan(parent, span);
}

/** Validates and records the event as a publish would: data parsed, a producer span, its context in the headers. */
async function publish(data, parent) {
  const event = { headers: {}, body: Buffer.from(JSON.stringify(OrderPlaced.parse(data))) };
  if (!traced) return event;
  const span = tracer.startSpan(
    'send orders.placed',
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'memory',
        'messaging.destination.name': 'orders.placed',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
      },
    },
    parent,
  );
  propagation.inject(trace.setSpan(parent, span), event.headers);
  span.end();
  return event;
}

async function handle(body, parent) {
  const order = PlaceOrder.parse(JSON.parse(body));
  const sum = total(order);
  await publish({ customerId: order.customerId, total: sum }, parent);
  return JSON.stringify({ accepted: true, total: sum });
}

const server = createServer((req, res) => {
  const parent = traced ? serverSpan(req, res) : ROOT_CONTEXT;
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const run = traced ? context.with(parent, handle, undefined, body, parent) : handle(body, parent);
    run.then(
      (payload) =>
        res
          .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) })
          .end(payload),
      () => res.writeHead(400).end(),
    );
  });
});

server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
