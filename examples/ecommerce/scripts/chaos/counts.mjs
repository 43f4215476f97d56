// What the database says after a run, and the invariants the table checks. Every count
// comes from the run's own database (the shop's tables and Tandem's outbox), beside what
// the load generator was answered.

export const INITIAL_STOCK = { tea: 1_000_000, coffee: 1_000_000, mug: 1_000_000 };

async function rows(client, sql, params) {
  return (await client.query(sql, params)).rows;
}

/**
 * Everything the checks need, read in one go. The shop's tables are found through the
 * search path, Tandem's in `schema`; a table a service never created reads as empty.
 */
export async function snapshot(client, schema) {
  const outboxTable = `"${schema}".tandem_outbox`;
  const tables = [
    'shop_orders',
    'shop_shipments',
    'shop_notifications',
    'shop_reservations',
    'shop_payments',
    'shop_stock',
  ];
  const { rows: present } = await client.query(
    'SELECT t AS name FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL',
    [[...tables, outboxTable]],
  );
  const has = new Set(present.map((r) => r.name));
  const read = (table, sql) => (has.has(table) ? rows(client, sql) : Promise.resolve([]));
  const parkedColumns = (
    await rows(
      client,
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'tandem_outbox' AND column_name LIKE 'park%'`,
      [schema],
    )
  ).map((r) => r.column_name);
  const parked = parkedColumns[0];
  return {
    orders: await read('shop_orders', 'SELECT order_id, customer, status, reason FROM shop_orders'),
    shipments: await read('shop_shipments', 'SELECT order_id FROM shop_shipments'),
    notifications: await read('shop_notifications', 'SELECT order_id, kind FROM shop_notifications'),
    reservations: await read('shop_reservations', 'SELECT order_id, sku, qty, released FROM shop_reservations'),
    payments: await read('shop_payments', 'SELECT order_id, status FROM shop_payments'),
    stock: await read('shop_stock', 'SELECT sku, available FROM shop_stock'),
    parking: parked !== undefined,
    outbox: await read(
      outboxTable,
      `SELECT topic, key, published_at IS NULL AS pending, ${parked ? `"${parked}" IS NOT NULL` : 'false'} AS parked FROM ${outboxTable}`,
    ),
  };
}

function countBy(list, keyOf) {
  const counts = new Map();
  for (const item of list) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}

const row = (metric, expected, observed, ok, note) => ({
  metric,
  expected: String(expected),
  observed: String(observed),
  ok,
  note,
});
const equal = (metric, expected, observed, note) => row(metric, expected, observed, expected === observed, note);
const none = (metric, observed, note) => equal(metric, 0, observed, note);
const sample = (list, n = 3) => (list.length ? `e.g. ${list.slice(0, n).join(', ')}` : undefined);

/** Rows that may still be catching up while events drain; the run waits for these to hold. */
export function eventualRows(db) {
  const accepted = db.orders.filter((o) => o.status === 'accepted' || o.status === 'shipped');
  const declined = db.orders.filter((o) => o.status === 'rejected' && o.reason === 'payment declined');
  const shipped = new Set(db.shipments.map((s) => s.order_id));
  const notified = (kind) => new Set(db.notifications.filter((n) => n.kind === kind).map((n) => n.order_id));
  const [confirmed, shipNote, failedNote] = ['order-confirmed', 'shipped', 'payment-failed'].map(notified);
  const missing = (list, set) => list.filter((o) => !set.has(o.order_id)).map((o) => o.order_id);
  const pending = db.outbox.filter((r) => r.pending && !r.parked);
  const notShipped = missing(accepted, shipped);
  // What an order that was never placed held is given back by the fulfilment saga once its
  // order timeout passed (SHOP_ORDER_TIMEOUT_MS): these rows may hold only after the drain.
  const acceptedIds = new Set(accepted.map((o) => o.order_id));
  const held = db.reservations.filter((r) => !r.released);
  const orphanReservations = [...new Set(held.filter((r) => !acceptedIds.has(r.order_id)).map((r) => r.order_id))];
  const orphanPayments = db.payments
    .filter((p) => p.status === 'authorized' && !acceptedIds.has(p.order_id))
    .map((p) => p.order_id);
  return [
    equal('accepted orders with a shipment', accepted.length, accepted.length - notShipped.length, sample(notShipped)),
    equal('accepted orders marked shipped', accepted.length, accepted.filter((o) => o.status === 'shipped').length),
    equal(
      'accepted orders notified order-confirmed',
      accepted.length,
      accepted.length - missing(accepted, confirmed).length,
    ),
    equal('accepted orders notified shipped', accepted.length, accepted.length - missing(accepted, shipNote).length),
    equal(
      'declined orders notified payment-failed',
      declined.length,
      declined.length - missing(declined, failedNote).length,
    ),
    none(
      'outbox rows still pending',
      pending.length,
      sample([...countBy(pending, (r) => r.topic)].map(([t, n]) => `${t} ${n}`)),
    ),
    none('reservations held without an accepted order', orphanReservations.length, sample(orphanReservations)),
    none('payments authorized without an accepted order', orphanPayments.length, sample(orphanPayments)),
  ];
}

/**
 * All rows of the table. `load` is what the client was answered; `run` carries the
 * broker's dead letters, the cluster's exits and stops, the faults and the drain.
 */
export function allRows(db, load, run) {
  const accepted = db.orders.filter((o) => o.status === 'accepted' || o.status === 'shipped');
  const acceptedIds = new Set(accepted.map((o) => o.order_id));
  const answered = load.filter((r) => r.outcome === 'accepted' || r.outcome === 'rejected');
  const unanswered = load.filter((r) => r.outcome !== 'accepted' && r.outcome !== 'rejected');
  const clientAccepted = load.filter((r) => r.outcome === 'accepted');
  const lost = clientAccepted.filter((r) => !acceptedIds.has(r.orderId)).map((r) => r.orderId);
  const twice = [...countBy(db.orders, (o) => o.customer)].filter(([, n]) => n > 1).map(([k]) => k);
  const wrongRejects = load.filter((r) => r.outcome === 'rejected' && !r.declined).map((r) => `${r.key} (${r.reason})`);
  const duplicateNotes = [...countBy(db.notifications, (n) => `${n.order_id} ${n.kind}`)]
    .filter(([, n]) => n > 1)
    .map(([k]) => k);
  // A saga's own messages (commands, replies, timeouts) are many per order by design.
  const events = countBy(
    db.outbox.filter((r) => !r.topic.startsWith('tandem.saga.')),
    (r) => `${r.topic} ${r.key}`,
  );
  const duplicateEvents = [...events].filter(([, n]) => n > 1).map(([k]) => k);
  const shipped = new Set(db.shipments.map((s) => s.order_id));
  const declinedPayments = new Set(db.payments.filter((p) => p.status === 'declined').map((p) => p.order_id));
  const writeOf = { 'orders.placed': acceptedIds, 'shipping.scheduled': shipped, 'payments.failed': declinedPayments };
  const orphanEvents = db.outbox
    .filter((r) => writeOf[r.topic] && !writeOf[r.topic].has(r.key))
    .map((r) => `${r.topic} ${r.key}`);
  const held = db.reservations.filter((r) => !r.released);
  const authorized = new Set(db.payments.filter((p) => p.status === 'authorized').map((p) => p.order_id));
  const unpaid = accepted.filter((o) => !authorized.has(o.order_id)).map((o) => o.order_id);
  const stockGap = db.stock
    .filter((s) => s.sku in INITIAL_STOCK)
    .map(
      (s) => INITIAL_STOCK[s.sku] - s.available - held.filter((r) => r.sku === s.sku).reduce((n, r) => n + r.qty, 0),
    );
  const letters = Object.entries(run.deadLetters ?? {}).filter(([, n]) => n > 0);
  const parked = db.outbox.filter((r) => r.parked).length;
  const badStops = run.stops.filter((s) => s.code !== 0 || s.hung);
  const slowest = run.recoveries.reduce((worst, r) => (r.ms > (worst?.ms ?? -1) ? r : worst), undefined);
  const slowestOk = !slowest || (slowest.ms !== Infinity && slowest.ms <= run.recoveryBoundMs);
  return [
    equal(
      'orders answered (accepted or rejected)',
      load.length,
      answered.length,
      sample(
        unanswered.map((r) => `${r.key}: ${r.outcome} ${r.detail ?? ''}`.trim()),
        2,
      ),
    ),
    equal(
      'accepted answers found in the database',
      clientAccepted.length,
      clientAccepted.length - lost.length,
      sample(lost),
    ),
    none('idempotency keys with more than one order', twice.length, sample(twice)),
    none('rejected answers for a card that is not declined', wrongRejects.length, sample(wrongRejects, 2)),
    ...eventualRows(db),
    none('notifications sent twice (order, kind)', duplicateNotes.length, sample(duplicateNotes)),
    none('events written twice (topic, order)', duplicateEvents.length, sample(duplicateEvents)),
    none('events without their committed write', orphanEvents.length, sample(orphanEvents)),
    db.parking
      ? none('outbox rows parked', parked)
      : row('outbox rows parked', 0, 'n/a', true, 'this build has no parking'),
    run.deadLetters
      ? none(
          'dead letters',
          letters.reduce((n, [, c]) => n + c, 0),
          letters.map(([g, n]) => `${g} ${n}`).join(', ') || undefined,
        )
      : row('dead letters', 0, 'n/a', true, run.deadLetterError),
    none('accepted orders without an authorized payment', unpaid.length, sample(unpaid)),
    none(
      'stock taken minus stock held by reservations',
      stockGap.reduce((n, g) => n + Math.abs(g), 0),
    ),
    none(
      'services that exited on their own',
      run.unexpectedExits.length,
      sample(run.unexpectedExits.map((e) => `${e.name} (${e.signal ?? e.code}) at ${e.at}`)),
    ),
    none(
      'graceful stops (SIGTERM) that failed or hung',
      badStops.length,
      sample(badStops.map((s) => `${s.name} ${s.hung ? 'hung' : `exit ${s.code}`}`)),
    ),
    row(
      'slowest recovery after a fault (next accepted order)',
      `<= ${(run.recoveryBoundMs / 1000).toFixed(1)} s`,
      slowest ? (slowest.ms === Infinity ? 'never' : `${(slowest.ms / 1000).toFixed(1)} s`) : 'n/a',
      slowestOk,
      slowest?.fault,
    ),
    row(
      'events drained after the load',
      `<= ${run.drainMs / 1000} s`,
      run.settledMs === undefined ? 'not settled' : `${(run.settledMs / 1000).toFixed(1)} s`,
      run.settledMs !== undefined,
    ),
  ];
}
