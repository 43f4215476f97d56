import { TransactionClosedError } from '../errors/errors.js';
import type { RunAbort } from './run-abort.js';

/**
 * One open store transaction, shared by a run and the in-process calls that join it, and
 * the two rules that keep it sound:
 *
 * - Fencing. Nobody holds the transaction itself: a run's `ctx.tx` is a view that stops
 *   working when that run's part ends (its deadline passed, it returned, its caller ended),
 *   and the store's own statements go through views fenced when the whole unit ends. A
 *   callee that outlives its deadline can then never send a statement on a connection that
 *   went back to the pool and now serves another request.
 * - One part at a time. A joined call runs as a section (a savepoint) on the same
 *   connection; sections take turns, and while one is open its parent's own statements wait
 *   for it. Without this, two concurrent calls' savepoints interleave and one's rollback
 *   undoes the other's writes, which had been reported as committed.
 */
export class TxScope<Tx extends object> {
  readonly root: TxSection<Tx>;
  /** The transaction for the store's own statements (inbox, outbox, savepoints): fenced when the unit ends. */
  readonly internal: Tx;
  private closed = false;
  private readonly stack: Array<TxSection<Tx>> = [];
  private turns: Array<() => void> = [];

  constructor(
    readonly raw: Tx,
    /** Names the run in errors: `orders.place`. */
    readonly owner: string,
  ) {
    this.internal = fenced(raw, () => this.check(owner));
    this.root = new TxSection(this, undefined, raw, owner);
    this.stack.push(this.root);
  }

  get ended(): boolean {
    return this.closed;
  }

  check(who: string): void {
    if (this.closed) throw closedError(who);
  }

  /** The section whose turn it is. */
  get current(): TxSection<Tx> | undefined {
    return this.stack[this.stack.length - 1];
  }

  /**
   * Waits until no other section of `parent`'s children is open, then opens one for `who`
   * and starts `body` in it, in the same turn: the section's store can begin it (issue its
   * SAVEPOINT, or make its child transaction) before anything else runs. Rejects when
   * `abort` aborts first or the unit ends.
   */
  enter<T>(
    parent: TxSection<Tx>,
    who: string,
    abort: RunAbort,
    body: (section: TxSection<Tx>) => Promise<T>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const attempt = (): void => {
        if (settled) return;
        try {
          this.check(who);
          if (parent.ended) throw closedError(who);
          if (abort.aborted) throw abort.reason;
        } catch (error) {
          settled = true;
          off();
          reject(error);
          return;
        }
        if (this.current !== parent) {
          this.turns.push(attempt);
          return;
        }
        settled = true;
        off();
        const section = new TxSection(this, parent, parent.raw, who);
        this.stack.push(section);
        body(section).then(resolve, reject);
      };
      // Set before `attempt` can first run: onAbort calls it at once when the run already aborted.
      let off: () => void = () => undefined;
      off = abort.onAbort(() => attempt());
      attempt();
    });
  }

  /** Closes `section` (and, first, any section it left open). */
  leave(section: TxSection<Tx>): void {
    const index = this.stack.indexOf(section);
    if (index > 0) for (const open of this.stack.splice(index)) open.ended = true;
    this.wake();
  }

  /** Work to undo outside the transaction if it rolls back (see `onRollback`). */
  readonly rollbacks: Array<() => Promise<void>> = [];

  /**
   * Runs `undo` if the transaction rolls back: for what a joined call did outside it that
   * only its commit makes true (an idempotency key the call completed inside it).
   */
  onRollback(undo: () => Promise<void>): void {
    this.rollbacks.push(undo);
  }

  /** The unit of work ended: every view stops working and every waiting section gives up. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    for (const section of this.stack) section.ended = true;
    this.wake();
  }

  private wake(): void {
    const turns = this.turns;
    this.turns = [];
    for (const turn of turns) turn();
  }

  /** Resolves when calls on `section`'s view need no longer wait (its children closed). */
  whenCurrent(section: TxSection<Tx>): Promise<void> {
    return new Promise<void>((resolve) => {
      const retry = (): void => {
        if (!section.mustWait || section.ended) resolve();
        else this.turns.push(retry);
      };
      retry();
    });
  }

  /** A section's transaction changed: calls waiting on its parent may go ahead. */
  rebound(): void {
    this.wake();
  }
}

/** One run's part of a shared transaction: the root run's, or a joined call's savepoint. */
export class TxSection<Tx extends object> {
  ended = false;
  /** The run's part is over (its handler returned or it aborted): its view stops working, though the section may still be closing. */
  fenced = false;
  /** What the run's handler gets as `ctx.tx`. */
  view: Tx;

  constructor(
    readonly scope: TxScope<Tx>,
    readonly parent: TxSection<Tx> | undefined,
    /** The transaction this section's statements run on (a memory store's child transaction). */
    public raw: Tx,
    readonly who: string,
  ) {
    this.view = this.viewOf(raw);
  }

  /**
   * Runs this section on `tx` (the one the store's `nested` gave it): the shared connection
   * for SQL stores, a child transaction object for the memory and Redis stores.
   */
  bind(tx: Tx): void {
    this.raw = tx === this.scope.internal ? this.scope.raw : tx;
    this.view = this.viewOf(tx);
    this.scope.rebound();
  }

  /**
   * Whether a call on this section's view must wait: a joined call's section is open
   * inside it on the same connection. A child on its own transaction object (the memory
   * store's) cannot interleave with this one, so nothing waits for it.
   */
  get mustWait(): boolean {
    const current = this.scope.current;
    return current !== this && current !== undefined && current.raw === this.raw;
  }

  /** Whether a joined call's section opened inside this one is still open. */
  get hasOpenChild(): boolean {
    return this.scope.current !== this && !this.ended;
  }

  private viewOf(raw: Tx): Tx {
    return guarded(raw, this);
  }

  check(): void {
    if (this.ended || this.fenced || this.scope.ended) throw closedError(this.who);
  }

  /** Closes the view before the store ends the section (RELEASE or ROLLBACK TO SAVEPOINT). */
  fence(): void {
    this.fenced = true;
  }
}

function closedError(who: string): TransactionClosedError {
  return new TransactionClosedError(
    `ctx.tx of ${who} was used after its unit of work ended (its deadline passed, its caller ended, or the handler ` +
      `had returned); the statement was not sent. Await every query before the handler returns, and stop work when ` +
      `ctx.signal aborts`,
  );
}

/** A view whose methods throw once `check` does. */
function fenced<Tx extends object>(raw: Tx, check: () => void): Tx {
  return new Proxy(raw, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        check();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/**
 * The user's view: fenced with its section, and while a joined call's section is open
 * inside it, a method call waits for that section to close first (and so returns a promise).
 */
function guarded<Tx extends object>(raw: Tx, section: TxSection<Tx>): Tx {
  return new Proxy(raw, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        section.check();
        const call = () => (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!section.mustWait) return call();
        return section.scope.whenCurrent(section).then(() => {
          section.check();
          return call();
        });
      };
    },
  });
}
