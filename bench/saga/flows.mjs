// The two flows bench/saga compares, doing the same work in three steps per instance:
//   start event -> reserve (a command) -> its answer -> completed event, instance done.
// "saga": a saga. Step 1, its start step, saves the instance and sends Reserve; step 2, its
//   dispatcher, calls Reserve in process (in its own transaction) and publishes the reply; step 3,
//   its reply step, publishes Completed and completes the instance.
// "plain": event handlers with the outbox, as one writes the flow without sagas. Step 1 inserts
//   its own state row and publishes ReserveRequested; step 2 (another group, as the saga's
//   dispatcher is) calls Reserve and publishes Reserved; step 3 updates the state row and
//   publishes Completed.
// Every step runs in its own transaction with its inbox record and outbox rows in both flows.
import { z } from 'zod';
import { defineCommand, defineEvent, saga, SagaMessageType, service } from '@tandem/core';

const Flow = z.object({ flowId: z.string(), amount: z.number() });

/** A command that does no I/O: the bench measures what carries the flow, not the work. */
function reserveService(name) {
  const Reserve = defineCommand(`${name}.reserve`, {
    input: Flow,
    output: z.object({ reservationId: z.string() }),
  });
  const svc = service(name).command(Reserve, ({ flowId }) => ({ reservationId: `r-${flowId}` }));
  return { Reserve, svc };
}

/** Flow A. `prefix` keeps its names apart from the other flow's and other runs'. */
export function sagaFlow(prefix) {
  const Started = defineEvent(`${prefix}.started`, { data: Flow });
  const Completed = defineEvent(`${prefix}.completed`, {
    data: z.object({ flowId: z.string(), reservationId: z.string() }),
  });
  const { Reserve, svc } = reserveService(`${prefix}-stock`);
  const flow = saga(`${prefix}.flow`, {
    state: z.object({ flowId: z.string(), amount: z.number(), stage: z.literal('reserving') }),
  })
    .startedBy(
      Started,
      (e) => e.flowId,
      function start(e, s) {
        if (s.state) return;
        s.set({ flowId: e.flowId, amount: e.amount, stage: 'reserving' }).send(Reserve, {
          flowId: e.flowId,
          amount: e.amount,
        });
      },
    )
    .onReply(Reserve, function reserved(reply, s) {
      if (!reply.ok) return void s.compensate(`reserve failed: ${reply.error.message}`);
      s.publish(
        Completed,
        { flowId: s.state.flowId, reservationId: reply.output.reservationId },
        { key: s.state.flowId },
      ).complete();
    });
  return {
    name: 'saga',
    Started,
    services: [svc, flow],
    /** The types of the messages that drive steps 1, 2 and 3; the last one's step ends an instance. */
    stepTypes: [Started.name, SagaMessageType.command, SagaMessageType.reply],
    setupSql: () => [],
  };
}

/** Flow B: the same three steps as plain handlers, writing their own state row in ctx.tx. */
export function plainFlow(prefix, schema) {
  const Started = defineEvent(`${prefix}.started`, { data: Flow });
  const ReserveRequested = defineEvent(`${prefix}.reserve-requested`, { data: Flow });
  const Reserved = defineEvent(`${prefix}.reserved`, {
    data: z.object({ flowId: z.string(), reservationId: z.string() }),
  });
  const Completed = defineEvent(`${prefix}.completed`, {
    data: z.object({ flowId: z.string(), reservationId: z.string() }),
  });
  const { Reserve, svc } = reserveService(`${prefix}-stock`);
  // Without a schema (the memory store) there is no table: the steps skip their own write.
  const table = schema ? `"${schema}".bench_flow_state` : undefined;
  const flow = service(`${prefix}-flow`)
    .onEvent(Started, async (e, ctx) => {
      if (table)
        await ctx.tx.query(
          `INSERT INTO ${table} (id, amount, stage, updated_at) VALUES ($1, $2, 'reserving', now()) ON CONFLICT DO NOTHING`,
          [e.flowId, e.amount],
        );
      await ctx.publish(ReserveRequested, e, { key: e.flowId });
    })
    .onEvent(Reserved, async (e, ctx) => {
      if (table)
        await ctx.tx.query(
          `UPDATE ${table} SET stage = 'completed', reservation_id = $2, updated_at = now() WHERE id = $1`,
          [e.flowId, e.reservationId],
        );
      await ctx.publish(Completed, e, { key: e.flowId });
    });
  const worker = service(`${prefix}-worker`).onEvent(ReserveRequested, async (e, ctx) => {
    const { reservationId } = await ctx.call(Reserve, e);
    await ctx.publish(Reserved, { flowId: e.flowId, reservationId }, { key: e.flowId });
  });
  return {
    name: 'plain',
    Started,
    services: [svc, flow, worker],
    stepTypes: [Started.name, ReserveRequested.name, Reserved.name],
    setupSql: () =>
      table
        ? [
            `CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, amount float8 NOT NULL, stage text NOT NULL,
               reservation_id text, updated_at timestamptz NOT NULL)`,
          ]
        : [],
  };
}
