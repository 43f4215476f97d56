import { request } from 'node:http';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_URL_TEMPLATE,
} from '@opentelemetry/semantic-conventions/incubating';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createApp,
  createLogger,
  defineCommand,
  defineEvent,
  defineQuery,
  memoryStore,
  MemoryBroker,
  MemoryTransport,
  NotFoundError,
  service,
  silentLogger,
  type App,
  type Store,
} from '@tandem/core';
import { httpClient, httpServer, type HttpClient } from '../src/index.js';
import { installOtel } from './otel.js';

const PlaceOrder = defineCommand('orders.place', {
  input: z.object({ sku: z.string() }),
  output: z.object({ orderId: z.string() }),
});
const GetOrder = defineQuery('orders.get', {
  input: z.object({ id: z.string() }),
  output: z.object({ id: z.string(), sku: z.string() }),
});
const OrderPlaced = defineEvent('orders.placed', { data: z.object({ orderId: z.string() }) });

const otel = installOtel();
afterAll(() => otel.uninstall());

/** orders serves HTTP and publishes; shipping consumes the event and calls orders back over HTTP. */
async function startFlow(store: Store | undefined) {
  const broker = new MemoryBroker();
  const placed = new Map<string, string>();
  const orders = service('orders')
    .command(PlaceOrder, async ({ sku }, ctx) => {
      const orderId = `o-${placed.size + 1}`;
      placed.set(orderId, sku);
      await ctx.publish(OrderPlaced, { orderId }, { key: orderId });
      return { orderId };
    })
    .query(GetOrder, async ({ id }) => {
      const sku = placed.get(id);
      if (sku === undefined) throw new NotFoundError(`order ${id} does not exist`);
      return { id, sku };
    });
  const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  const ordersApp = createApp({
    services: [orders],
    http: server,
    broker: new MemoryTransport({ broker }),
    logger: silentLogger,
    ...(store ? { store, relay: { pollIntervalMs: 20 } } : {}),
  });
  await ordersApp.start();

  const lines: Record<string, unknown>[] = [];
  let shipped!: (sku: string) => void;
  const done = new Promise<string>((resolve) => (shipped = resolve));
  const shippingClient = httpClient({ services: { orders: server.url! } });
  const shipping = service('shipping').onEvent(OrderPlaced, async ({ orderId }, ctx) => {
    ctx.log.info({ orderId }, 'shipping an order');
    const order = await ctx.call(GetOrder, { id: orderId });
    shipped(order.sku);
  });
  const shippingApp = createApp({
    services: [shipping],
    broker: new MemoryTransport({ broker }),
    clients: shippingClient,
    logger: createLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
  });
  await shippingApp.start();
  const client = httpClient({ services: { orders: server.url! } });
  return { ordersApp, shippingApp, client, done, lines };
}

function only(spans: ReadableSpan[], kind: SpanKind, name: string): ReadableSpan {
  const found = spans.filter((s) => s.kind === kind && s.name === name);
  expect(found, `one ${SpanKind[kind]} span named '${name}' in ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
  return found[0]!;
}

function expectChild(child: ReadableSpan, parent: ReadableSpan): void {
  expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
  expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
}

describe.each([
  ['direct publish', () => undefined],
  ['outbox and relay', () => memoryStore()],
])('one trace from client to consumer (%s)', (_label, makeStore) => {
  let flow: Awaited<ReturnType<typeof startFlow>>;
  beforeAll(async () => {
    otel.reset();
    flow = await startFlow(makeStore());
  });
  afterAll(async () => {
    await flow.client.close();
    await flow.shippingApp.stop();
    await flow.ordersApp.stop();
  });

  it("links client, server, producer, consumer and the consumer's own call in one trace", async () => {
    const { orderId } = await flow.client.call(PlaceOrder, { sku: 'lamp' });
    expect(await flow.done).toBe('lamp');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const spans = await otel.finishedSpans();

    const client = only(spans, SpanKind.CLIENT, 'POST /commands/orders.place');
    const server = only(spans, SpanKind.SERVER, 'POST /commands/orders.place');
    const producer = only(spans, SpanKind.PRODUCER, 'send orders.placed');
    const consumer = only(spans, SpanKind.CONSUMER, 'process orders.placed');
    const callBack = only(spans, SpanKind.CLIENT, 'GET /queries/orders.get');
    const served = only(spans, SpanKind.SERVER, 'GET /queries/orders.get');

    expect(client.parentSpanContext).toBeUndefined();
    expectChild(server, client);
    expectChild(producer, server);
    expectChild(consumer, producer);
    expect(consumer.links.map((l) => l.context.spanId)).toEqual([producer.spanContext().spanId]);
    expectChild(callBack, consumer);
    expectChild(served, callBack);

    // Attribute names checked against the OpenTelemetry semantic-conventions package.
    expect(client.attributes).toMatchObject({
      [ATTR_HTTP_REQUEST_METHOD]: 'POST',
      [ATTR_SERVER_ADDRESS]: '127.0.0.1',
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200,
      [ATTR_URL_TEMPLATE]: '/commands/orders.place',
    });
    expect(typeof client.attributes[ATTR_SERVER_PORT]).toBe('number');
    expect(server.attributes).toMatchObject({
      [ATTR_HTTP_REQUEST_METHOD]: 'POST',
      [ATTR_HTTP_ROUTE]: '/commands/orders.place',
      [ATTR_URL_PATH]: '/commands/orders.place',
      [ATTR_URL_SCHEME]: 'http',
      [ATTR_SERVER_ADDRESS]: '127.0.0.1',
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200,
    });
    expect(producer.attributes).toMatchObject({
      [ATTR_MESSAGING_SYSTEM]: 'memory',
      [ATTR_MESSAGING_DESTINATION_NAME]: 'orders.placed',
      [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
      [ATTR_MESSAGING_OPERATION_NAME]: 'send',
    });
    expect(producer.attributes[ATTR_MESSAGING_MESSAGE_ID]).toMatch(/^[0-9a-f-]{36}$/);
    expect(consumer.attributes).toMatchObject({
      [ATTR_MESSAGING_SYSTEM]: 'memory',
      [ATTR_MESSAGING_DESTINATION_NAME]: 'orders.placed',
      [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
      [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: 'shipping',
      [ATTR_MESSAGING_MESSAGE_ID]: producer.attributes[ATTR_MESSAGING_MESSAGE_ID],
    });
    expect(served.status.code).toBe(SpanStatusCode.UNSET);
    expect(orderId).toBe('o-1');

    // Every log line written inside the handler carries the consumer span's ids.
    const line = flow.lines.find((l) => l.msg === 'shipping an order');
    expect(line).toMatchObject({ trace_id: consumer.spanContext().traceId, span_id: consumer.spanContext().spanId });
  });

  it('records handler duration and consumer lag with the metrics API', async () => {
    const durations = await otel.metric('tandem.handler.duration');
    const place = durations.find((p) => p.attributes['tandem.handler.name'] === 'orders.place');
    expect(place?.attributes).toMatchObject({
      'tandem.handler.kind': 'command',
      'tandem.outcome': 'success',
      'tandem.service': 'orders',
    });
    expect((place?.value as { count: number }).count).toBeGreaterThanOrEqual(1);
    const lag = await otel.metric('tandem.consumer.lag');
    expect(lag.find((p) => p.attributes['messaging.consumer.group.name'] === 'shipping')).toBeDefined();
  });
});

describe('error status on HTTP spans', () => {
  let app: App;
  let client: HttpClient;
  let baseUrl: string;
  afterEach(() => otel.reset());
  beforeAll(async () => {
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    app = createApp({
      services: [
        service('orders').query(GetOrder, async ({ id }) => {
          if (id === 'crash') throw new Error('disk on fire');
          throw new NotFoundError(`order ${id} does not exist`);
        }),
      ],
      http: server,
      logger: silentLogger,
    });
    await app.start();
    baseUrl = server.url!;
    client = httpClient({ services: { orders: baseUrl }, retry: false });
  });
  afterAll(async () => {
    await client.close();
    await app.stop();
  });

  it('reads server.address and server.port from the Host header, IPv6 literals included', async () => {
    const cases = [
      { host: '[::1]:8443', address: '[::1]', port: 8443 },
      { host: 'orders.internal', address: 'orders.internal', port: undefined },
      { host: 'orders.internal:80', address: 'orders.internal', port: 80 },
    ];
    for (const { host, address, port } of cases) {
      otel.reset();
      const url = new URL(`${baseUrl}/queries/orders.get?id=nope`);
      await new Promise<void>((resolve, reject) => {
        request(url, { headers: { host } }, (res) => res.resume().on('end', resolve))
          .on('error', reject)
          .end();
      });
      const span = only(await otel.finishedSpans(), SpanKind.SERVER, 'GET /queries/orders.get');
      expect(span.attributes[ATTR_SERVER_ADDRESS]).toBe(address);
      expect(span.attributes[ATTR_SERVER_PORT]).toBe(port);
    }
  });

  it('marks a 4xx an error on the client span only, a 5xx on both', async () => {
    otel.reset();
    await expect(client.call(GetOrder, { id: 'nope' })).rejects.toBeInstanceOf(NotFoundError);
    let spans = await otel.finishedSpans();
    const client404 = only(spans, SpanKind.CLIENT, 'GET /queries/orders.get');
    const server404 = only(spans, SpanKind.SERVER, 'GET /queries/orders.get');
    expect(client404.status.code).toBe(SpanStatusCode.ERROR);
    expect(client404.attributes).toMatchObject({ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 404, [ATTR_ERROR_TYPE]: '404' });
    expect(server404.status.code).toBe(SpanStatusCode.UNSET);
    expect(server404.attributes['http.response.status_code']).toBe(404);
    otel.reset();

    await expect(client.call(GetOrder, { id: 'crash' })).rejects.toThrow();
    spans = await otel.finishedSpans();
    const server500 = only(spans, SpanKind.SERVER, 'GET /queries/orders.get');
    expect(server500.status.code).toBe(SpanStatusCode.ERROR);
    expect(server500.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': 'Error' });
    expect(server500.events.some((e) => e.name === 'exception')).toBe(true);
  });
});
