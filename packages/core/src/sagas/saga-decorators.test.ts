import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent, type ParsedDataOf } from '../contracts/contracts.js';
import { silentLogger } from '../log/logger.js';
import { createApp } from '../runtime/app.js';
import { service } from '../runtime/service.js';
import { MemoryStore } from '../stores/memory-store.js';
import { eventually } from '../testing/harness.js';
import { OnReply, OnTimeout, Saga, SagaOn, StartedBy } from './decorators.js';
import type { SagaReply } from './define.js';
import type { SagaStep } from './step.js';

const Opened = defineEvent('tickets.opened', { data: z.object({ ticket: z.string() }) });
const Closed = defineEvent('tickets.closed', { data: z.object({ ticket: z.string() }) });
const Assign = defineCommand('agents.assign', {
  input: z.object({ ticket: z.string() }),
  output: z.object({ agent: z.string() }),
});
const State = z.object({ ticket: z.string(), agent: z.string().optional() });
type State = z.infer<typeof State>;

@Saga('support.ticket', { state: State })
class TicketSaga {
  @StartedBy(Opened, (e: ParsedDataOf<typeof Opened>) => e.ticket)
  opened(e: ParsedDataOf<typeof Opened>, s: SagaStep<State | undefined>): void {
    s.set({ ticket: e.ticket }).send(Assign, { ticket: e.ticket }).schedule('escalate', 60_000);
  }

  @OnReply(Assign)
  assigned(reply: SagaReply<typeof Assign>, s: SagaStep<State>): void {
    if (reply.ok) s.set({ ...s.state, agent: reply.output.agent });
  }

  @SagaOn(Closed, (e: ParsedDataOf<typeof Closed>) => e.ticket)
  closed(_e: unknown, s: SagaStep<State>): void {
    s.complete();
  }

  @OnTimeout('escalate')
  escalate(_t: unknown, s: SagaStep<State>): void {
    s.compensate('not closed in time');
  }
}

describe('the decorator form of a saga', () => {
  it('runs the same steps as the builder form', async () => {
    const store = new MemoryStore();
    const app = createApp({
      services: [service('agents').command(Assign, () => ({ agent: 'grace' })), TicketSaga],
      store,
      logger: silentLogger,
    });
    await app.start();
    try {
      await app.publish(Opened, { ticket: 't1' }, { key: 't1' });
      await eventually('the agent to be assigned', async () => {
        const one = await store.sagas.get('support.ticket', 't1');
        return (one?.state as State | undefined)?.agent === 'grace';
      });
      expect((await store.sagas.get('support.ticket', 't1'))?.dueAt).toBeGreaterThan(Date.now());
      await app.publish(Closed, { ticket: 't1' }, { key: 't1' });
      await eventually(
        'the saga to complete',
        async () => (await store.sagas.get('support.ticket', 't1'))?.status === 'completed',
      );
      const done = await store.sagas.get('support.ticket', 't1');
      expect(done?.dueAt).toBeUndefined();
      expect(done?.data.history.map((h) => h.input)).toEqual([
        'tickets.opened',
        'reply:agents.assign',
        'tickets.closed',
      ]);
    } finally {
      await app.stop();
    }
  });

  it('reports a saga without a start, and a step of an undeclared timeout, when the app starts', async () => {
    @Saga('support.broken', { state: State })
    class Broken {
      @SagaOn(Closed, (e: ParsedDataOf<typeof Closed>) => e.ticket)
      closed(): void {}
    }
    const app = createApp({ services: [Broken], store: new MemoryStore(), logger: silentLogger });
    await expect(app.start()).rejects.toThrow(/class Broken: saga\('support.broken'\) has no startedBy/);
  });

  it('refuses an app whose store keeps no sagas, naming the fix', async () => {
    const app = createApp({ services: [TicketSaga], logger: silentLogger });
    await expect(app.start()).rejects.toThrow(
      /saga 'support.ticket' needs a store that keeps saga instances .* the app has no store/,
    );
  });
});
