// Rows written per table of one schema, from PostgreSQL's own counters (pg_stat_user_tables).
// A backend reports its counts when it goes idle for a while or exits, so a round takes its
// second reading after the app closed its pool: every backend that wrote has exited by then.

/** { table: { ins, upd, del } } for every table in `schema`. */
export async function rowCounters(admin, schema) {
  // Fresh counters, not the ones this connection's last reading cached.
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await admin.query(
    `SELECT relname, n_tup_ins::float8 AS ins, n_tup_upd::float8 AS upd, n_tup_del::float8 AS del
       FROM pg_stat_user_tables WHERE schemaname = $1`,
    [schema],
  );
  return Object.fromEntries(rows.map((r) => [r.relname, { ins: r.ins, upd: r.upd, del: r.del }]));
}

/** What was written between two readings, tables with no writes left out. */
export function rowDelta(before, after) {
  const delta = {};
  for (const [table, a] of Object.entries(after)) {
    const b = before[table] ?? { ins: 0, upd: 0, del: 0 };
    const d = { ins: a.ins - b.ins, upd: a.upd - b.upd, del: a.del - b.del };
    if (d.ins || d.upd || d.del) delta[table] = d;
  }
  return delta;
}

/** Waits until the counters stop moving (the exited backends' reports are in), at most `ms`. */
export async function settledCounters(admin, schema, ms = 3_000) {
  let last = JSON.stringify(await rowCounters(admin, schema));
  const deadline = Date.now() + ms;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await rowCounters(admin, schema);
    const text = JSON.stringify(now);
    if (text === last || Date.now() > deadline) return now;
    last = text;
  }
}
