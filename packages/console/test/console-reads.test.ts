import { context, trace } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { eventually } from '@tandem/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { SpanRing } from '../src/index.js';
import { getJson, Paid, startBilling, type Started } from './fixtures.js';

let started: Started | undefined;
afterEach(async () => {
  await started?.app.stop();
  started = undefined;
});

describe('the console API: reads', () => {
  it('answers the model: handlers, routes, groups and the event flow', async () => {
    started = await startBilling();
    const { body } = await getJson<{
      handlers: { name: string; kind: string; group?: string }[];
      sync: { name: string; route?: { method: string; path: string } }[];
      events: { name: string; publishers: string[] }[];
      flow: { edges: unknown[]; mermaid: string };
    }>(`${started.api}/model`);
    expect(body.handlers.map((h) => [h.name, h.kind, h.group])).toEqual([
      ['billing.pay', 'command', undefined],
      ['billing.paid', 'event', 'ledger'],
    ]);
    expect(body.sync[0]!.route).toEqual({ method: 'POST', path: '/payments' });
    expect(body.events[0]).toMatchObject({ name: 'billing.paid', publishers: ['billing'] });
    expect(body.flow.edges).toEqual([{ from: 'billing', to: 'billing', event: 'billing.paid' }]);
    expect(body.flow.mermaid).toContain('flowchart LR');
  });

  it('shows dead letters without credential headers or URL passwords', async () => {
    started = await startBilling();
    await started.app.publish(
      Paid,
      { orderId: 'o-9', fail: true },
      { headers: { authorization: 'Bearer s3cret', 'x-callback': 'https://bob:hunter2@hooks.example/x' } },
    );
    let letter: { headers: Record<string, string>; body: string } | undefined;
    await eventually('the dead letter', async () => {
      const res = await getJson<{ groups: { deadLetters: (typeof letter)[] }[] }>(`${started!.api}/dead-letters`);
      letter = res.body.groups[0]!.deadLetters[0];
      return letter !== undefined;
    });
    const text = JSON.stringify(letter);
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('hunter2');
    expect(letter!.headers['x-callback']).toBe('https://***@hooks.example/x');
    expect(JSON.parse(letter!.body)).toEqual({ orderId: 'o-9', fail: true });
  });

  it("answers lag from the broker's backlog, 'unknown' where it cannot say, and no outbox or breakers when there are none", async () => {
    started = await startBilling();
    expect((await getJson(`${started.api}/lag`)).body).toEqual({
      broker: 'memory',
      groups: [{ group: 'ledger', waiting: 0 }],
    });
    Object.defineProperty(started.app.broker, 'backlog', { value: undefined });
    expect((await getJson(`${started.api}/lag`)).body).toEqual({
      broker: 'memory',
      groups: [{ group: 'ledger', waiting: 'unknown' }],
    });
    expect((await getJson(`${started.api}/outbox`)).body).toEqual({ outbox: 'none', backlog: null, parked: [] });
    expect((await getJson(`${started.api}/breakers`)).body).toEqual({ breakers: [] });
  });

  it('lists recent traces from the span ring and answers one by id', async () => {
    const ring = new SpanRing();
    const provider = new TracerProvider({ spanProcessors: [ring] });
    const tracer = provider.getTracer('test');
    const root = tracer.startSpan('POST /payments');
    tracer.startSpan('send billing.paid', {}, trace.setSpan(context.active(), root)).end();
    root.end();
    started = await startBilling({ spans: ring });
    const list = await getJson<{ recording: boolean; traces: { traceId: string; spans: number }[] }>(
      `${started.api}/traces`,
    );
    expect(list.body.recording).toBe(true);
    expect(list.body.traces).toEqual([expect.objectContaining({ traceId: root.spanContext().traceId, spans: 2 })]);
    const one = await getJson<{ spans: { name: string }[] }>(`${started.api}/traces/${root.spanContext().traceId}`);
    expect(one.body.spans.map((s) => s.name)).toEqual(['POST /payments', 'send billing.paid']);
    const gone = await getJson<{ code: string }>(`${started.api}/traces/${'0'.repeat(32)}`);
    expect([gone.status, gone.body.code]).toEqual([404, 'TANDEM_NOT_FOUND']);
  });
});
