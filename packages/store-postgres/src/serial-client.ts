import type pg from 'pg';

/**
 * A transaction's client that sends one statement at a time.
 *
 * A unit of work can have more than one statement headed for its connection at once: a
 * handler's `Promise.all` over `tx.query`, or a run that ends at its deadline while its
 * statement is on the wire, so that the store's ROLLBACK (or a joined call's
 * `ROLLBACK TO SAVEPOINT`, then the caller's next statement) comes behind it. node-postgres 8
 * queues such statements with a deprecation warning, and 9 drops the queue. Here each
 * promise-returning `query` starts when the one before it has settled, in the order they
 * were made, which is the order the queue gave. Callback and submittable forms (cursors,
 * streams) go to the client as they are.
 */
export function serialClient(client: pg.PoolClient): pg.PoolClient {
  let tail: Promise<unknown> = Promise.resolve();
  const query = (...args: unknown[]): unknown => {
    if (!isPromiseForm(args)) return (client.query as (...a: unknown[]) => unknown)(...args);
    const run = tail.then(() => (client.query as (...a: unknown[]) => Promise<unknown>)(...args));
    tail = run.then(noop, noop);
    return run;
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === 'query') return query;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function isPromiseForm(args: unknown[]): boolean {
  const first = args[0] as { submit?: unknown } | undefined;
  if (first !== null && typeof first === 'object' && typeof first.submit === 'function') return false;
  return typeof args[args.length - 1] !== 'function';
}

function noop(): void {}
