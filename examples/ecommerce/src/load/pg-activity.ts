/**
 * What the run database's PostgreSQL backends are doing, sampled during a step from
 * pg_stat_activity: running, waiting on a lock, or idle inside a transaction (the
 * application holds it open, e.g. across a sync call). Each row is the mean number of
 * backends in that state over the samples, so 1.0 is one backend there the whole step.
 */
import type pg from 'pg';

export interface PgActivityRow {
  /** The service whose connection it is (its application_name without `shop-`), or `load` for this load's own. */
  process: string;
  /** active, idle in transaction, ... with the wait event when there is one. */
  state: string;
  /** The statement, cut to its first words. */
  query: string;
  backends: number;
}

export interface PgActivity {
  rows: PgActivityRow[];
  /** Most connections of each service busy (in a transaction or running) at once: at the pool's size (10), callers wait for one. */
  peakBusy: Record<string, number>;
}

export interface PgActivitySampler {
  start(): void;
  stop(): Promise<PgActivity>;
}

const SAMPLE_MS = 50;

function shortQuery(query: string): string {
  return query.replace(/\s+/g, ' ').trim().slice(0, 90);
}

export function pgActivitySampler(client: pg.Client, database: string): PgActivitySampler {
  let counts = new Map<string, PgActivityRow>();
  let samples = 0;
  let peakBusy: Record<string, number> = {};
  let running: Promise<void> | undefined;
  let stopped = false;
  const sample = async () => {
    const { rows } = await client.query<{ app: string; state: string | null; wait: string | null; query: string }>(
      `SELECT application_name AS app, state, wait_event_type || ':' || wait_event AS wait, query FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'`,
      [database],
    );
    samples++;
    const busy: Record<string, number> = {};
    for (const row of rows) {
      const state = row.wait ? `${row.state} (${row.wait})` : (row.state ?? '?');
      const query = shortQuery(row.query);
      const process = row.app.startsWith('shop-') ? row.app.slice('shop-'.length) : 'load';
      busy[process] = (busy[process] ?? 0) + 1;
      const key = `${process}|${state}|${query}`;
      const seen = counts.get(key);
      if (seen) seen.backends++;
      else counts.set(key, { process, state, query, backends: 1 });
    }
    for (const [process, n] of Object.entries(busy)) peakBusy[process] = Math.max(peakBusy[process] ?? 0, n);
  };
  return {
    start() {
      counts = new Map();
      samples = 0;
      peakBusy = {};
      stopped = false;
      running = (async () => {
        while (!stopped) {
          await sample().catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
        }
      })();
    },
    async stop() {
      stopped = true;
      await running;
      const rows = [...counts.values()]
        .map((row) => ({ ...row, backends: row.backends / Math.max(1, samples) }))
        .sort((a, b) => b.backends - a.backends);
      return { rows, peakBusy };
    },
  };
}
