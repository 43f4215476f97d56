// One round of one flow: a fresh app on the run's store and broker; `instances` flows driven
// with at most `window` in flight (throughput and CPU), then flows started at a steady `rate`
// for `latencySeconds` (latency); and the rows both phases wrote.
// - a step is one event handler run that committed (inbox duplicates and failed runs that were
//   retried are not counted); each flow has three per instance;
// - a step's latency (steady phase) runs from its message being published (the broker confirmed
//   it: the relay's afterConfirm for messages from the outbox; for start events, just before the
//   driver publishes them) to the step's commit (app middleware, which wraps the unit of work, after it
//   returns); a flow's, from its start event's publish to its last step's commit;
// - steps/s and CPU come from the saturated phase; CPU is this process's user+system time
//   (driver, app and relay together; PostgreSQL's own CPU is not in it), per step;
// - rows are PostgreSQL's counters of the run's schema, read before the app starts and after
//   it stopped (so the relay's last marks are in).
import { createApp, encodeEvent, silentLogger } from '@tandem/core';
import { percentile } from '../lib/stats.mjs';
import { rowCounters, rowDelta, settledCounters } from './row-writes.mjs';
import { statementCounts, statementDelta } from './statements.mjs';

const STEPS_PER_INSTANCE = 3;
const BATCH = 100;

/**
 * flow: from flows.mjs; env: { store(), broker(), admin, schema, runId, instances, window,
 * concurrency, rate, latencySeconds }. Returns the round's figures.
 */
export async function runRound(flow, env) {
  const publishedAt = new Map();
  const committedAt = new Map();
  const startedAt = new Map();
  /** Instances whose last step committed, by phase ('t' saturated, 'l' steady rate). */
  const finished = new Map();
  let wake = () => undefined;
  const flowTimes = [];

  let failedRuns = 0;
  const errors = new Map();

  /** Outermost middleware: `next()` returns once the run's transaction has committed. */
  const stamp = async (inv, next) => {
    let result;
    try {
      result = await next();
    } catch (error) {
      // A run the runtime retries (a lock conflict, say): its work is done again, so it is counted.
      if (inv.registration.kind === 'event') failedRuns++;
      errors.set(error?.code ?? error?.name, (errors.get(error?.code ?? error?.name) ?? 0) + 1);
      throw error;
    }
    if (inv.registration.kind !== 'event' || !inv.message || typeof result === 'symbol') return result;
    const id = inv.ctx.meta.messageId;
    if (committedAt.has(id)) return result;
    const at = performance.now();
    const flowId = inv.ctx.meta.correlationId;
    const phase = flowId.slice(env.runId.length + 1, env.runId.length + 2);
    committedAt.set(id, { at, phase, step: flow.stepTypes.indexOf(inv.ctx.meta.name) + 1 });
    if (inv.ctx.meta.name === flow.stepTypes.at(-1)) {
      finished.set(phase, (finished.get(phase) ?? 0) + 1);
      if (phase === 'l') flowTimes.push(at - startedAt.get(flowId));
      wake();
    }
    return result;
  };

  const store = await env.store();
  const broker = await env.broker();
  const app = createApp({
    name: `${flow.name}-bench`,
    services: flow.services,
    broker,
    store,
    logger: silentLogger,
    concurrency: env.concurrency,
    middleware: [stamp],
    relay: {
      afterConfirm: (records) => {
        const now = performance.now();
        for (const r of records) publishedAt.set(r.message.headers['ce-id'], now);
      },
    },
  });
  const sentBefore = statementCounts();
  await app.start();
  if (env.admin) for (const sql of flow.setupSql()) await env.admin.query(sql);
  const before = env.admin ? await rowCounters(env.admin, env.schema) : undefined;

  const saturated = await drive('t', env.instances, (sent, done) =>
    Math.min(BATCH, env.window - (sent - done), env.instances - sent),
  );
  // Latency at a steady rate well under either flow's capacity: what a step takes, not its queue.
  const count = Math.round(env.rate * env.latencySeconds);
  await drive(
    'l',
    count,
    (sent, _done, elapsed) => Math.min(count, Math.floor((elapsed / 1000) * env.rate) + 1) - sent,
  );
  await app.stop();
  // Start-up's statements (migrations, the relay's first claim) are in; a few per round.
  const { BYTES: bytesSent, ...statements } = statementDelta(sentBefore, statementCounts());
  const statementTotal = Object.values(statements).reduce((a, b) => a + b, 0);

  const steps = saturated.steps;
  const latencies = [];
  const byStep = flow.stepTypes.map(() => []);
  for (const [id, step] of committedAt) {
    const published = publishedAt.get(id);
    if (step.phase !== 'l' || published === undefined) continue;
    // A broker may deliver a message before the relay's confirm callback for it has run: 0 ms then.
    const ms = Math.max(0, step.at - published);
    latencies.push(ms);
    byStep[step.step - 1]?.push(ms);
  }
  const rows = env.admin ? rowDelta(before, await settledCounters(env.admin, env.schema)) : undefined;
  const written = rows ? Object.values(rows).reduce((n, r) => n + r.ins + r.upd, 0) : NaN;
  const allSteps = committedAt.size;
  return {
    instances: env.instances + count,
    steps,
    seconds: saturated.seconds,
    stepsPerSecond: steps / saturated.seconds,
    cpuMicrosPerStep: saturated.cpuMicros / steps,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    latencySamples: latencies.length,
    /** p50 of each of the three steps (start, the command's call, its reply). */
    stepP50: byStep.map((samples) => percentile(samples, 50)),
    flowP50: percentile(flowTimes, 50),
    flowP99: percentile(flowTimes, 99),
    rows,
    // Every step of both phases wrote rows; the counters cover both.
    rowsPerStep: written / allSteps,
    statements,
    statementsPerStep: statementTotal / allSteps,
    bytesToPgPerStep: bytesSent / allSteps,
    expectedSteps: (env.instances + count) * STEPS_PER_INSTANCE,
    allSteps,
    failedRuns,
    errors: Object.fromEntries(errors),
  };

  /**
   * Starts `total` instances of phase `phase`, as many at a time as `room(sent, done, elapsedMs)`
   * allows, and returns once all of them finished: their steps, seconds and this process's CPU.
   */
  async function drive(phase, total, room) {
    const cpu = process.cpuUsage();
    const began = performance.now();
    const stepsBefore = committedAt.size;
    let sent = 0;
    const done = () => finished.get(phase) ?? 0;
    while (done() < total) {
      const n = Math.min(room(sent, done(), performance.now() - began), total - sent);
      if (n > 0) {
        const batch = [];
        for (let i = 0; i < n; i++) {
          const flowId = `${env.runId}-${phase}-${sent + i}`;
          // The flow id doubles as the correlation id, so every step knows its flow and phase.
          batch.push(
            encodeEvent(flow.Started, { flowId, amount: 10 }, { source: 'bench', key: flowId, correlationId: flowId }),
          );
        }
        const at = performance.now();
        for (const m of batch) {
          publishedAt.set(m.headers['ce-id'], at);
          startedAt.set(m.headers['ce-correlationid'], at);
        }
        await broker.publish(batch);
        sent += n;
        continue;
      }
      await new Promise((resolve) => {
        wake = resolve;
        // A lost wake-up (a step finished between the check and here) costs at most this.
        setTimeout(resolve, phase === 'l' ? 5 : 50);
      });
    }
    const used = process.cpuUsage(cpu);
    return {
      steps: committedAt.size - stepsBefore,
      seconds: (performance.now() - began) / 1000,
      cpuMicros: used.user + used.system,
    };
  }
}
