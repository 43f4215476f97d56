/**
 * Runs tasks in order per key, with at most `concurrency` tasks running across keys.
 *
 * Transports use it to keep per-key order while handling several keys at once. It is a
 * queue per key plus a FIFO of keys that are ready to run: O(1) per task, no scanning.
 * (rxjs `groupBy` + `mergeMap` needs a duration selector to release idle groups and costs
 * several allocations per message on this hot path; this does the one thing directly.)
 */
export interface KeyedRunner {
  /** Queues `task` behind earlier tasks of `key`; resolves or rejects with the task. */
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  /**
   * As `run`, for a caller that needs no promise back (a transport settling each delivery
   * inside its task): a rejection of `task`, or a throw, goes to `onError`, which must not throw. One delivery
   * costs two promises fewer than with `run(...).catch(...)`.
   */
  enqueue(key: string, task: () => Promise<unknown>, onError: (error: unknown) => void): void;
  /**
   * As `enqueue`, for a task that says it is done by calling `finish` (once; later calls are
   * ignored), so that a transport whose handler answers through a callback needs no promise
   * at all. A task may finish before it returns. A throw goes to `onError` and finishes it.
   */
  enqueueCallback(key: string, task: (finish: () => void) => void, onError: (error: unknown) => void): void;
  /** Tasks queued or running. Transports pause intake when it grows past a bound. */
  readonly size: number;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
}

interface Entry {
  task: (() => Promise<unknown>) | undefined;
  /** Set instead of `task` by enqueueCallback. */
  callback: ((finish: () => void) => void) | undefined;
  resolve: ((value: unknown) => void) | undefined;
  reject: (error: unknown) => void;
  /** The key's next task, queued behind this one. */
  next: Entry | undefined;
}

/**
 * One key's tasks, oldest first; the one at the head runs. A list through the entries, not
 * an array: most keys hold one task at a time, and an array per key (and its shift) cost
 * more than the link.
 */
interface KeyQueue {
  key: string;
  head: Entry;
  last: Entry;
}

/** States of a task started by enqueueCallback. */
const STARTING = 0;
const FINISHED_EARLY = 1;
const RUNNING = 2;
const DONE = 3;

/** Runs tasks with bounded concurrency, one at a time per key, in order; for transports of your own. */
export function createKeyedRunner(concurrency: number): KeyedRunner {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const queues = new Map<string, KeyQueue>();
  // Queues rather than keys, so starting and finishing a task needs no lookup by key.
  // A taken slot is cleared: a queue whose key finished still holds its last entry (and
  // that entry its task and message), which must not stay reachable from here.
  const ready: Array<KeyQueue | undefined> = [];
  let readyHead = 0;
  let running = 0;
  let size = 0;
  let idleWaiters: Array<() => void> = [];

  function pump(): void {
    while (running < concurrency && readyHead < ready.length) {
      const queue = ready[readyHead]!;
      ready[readyHead++] = undefined;
      if (readyHead > 1024 && readyHead * 2 > ready.length) {
        ready.splice(0, readyHead);
        readyHead = 0;
      }
      running++;
      const entry = queue.head;
      if (entry.callback) startCallback(queue, entry.callback, entry.reject);
      else start(queue, entry);
    }
  }

  /**
   * A task that finishes before it returns is accounted for here, after it returned, and
   * without a nested pump: the loop that started it goes on to the next one.
   */
  function startCallback(queue: KeyQueue, task: (finish: () => void) => void, onError: (error: unknown) => void): void {
    // A number, not a union of literals: `finish` changes it behind the compiler's back.
    let state: number = STARTING;
    const finish = (): void => {
      if (state === RUNNING) {
        state = DONE;
        finished(queue);
      } else if (state === STARTING) state = FINISHED_EARLY;
    };
    try {
      task(finish);
    } catch (error) {
      onError(error);
      finish();
    }
    if (state === FINISHED_EARLY) {
      state = DONE;
      account(queue);
    } else if (state === STARTING) state = RUNNING;
  }

  function start(queue: KeyQueue, entry: Entry): void {
    let started: Promise<unknown>;
    try {
      started = entry.task!();
    } catch (error) {
      started = Promise.reject(error);
    }
    started.then(
      (value) => {
        try {
          entry.resolve?.(value);
        } finally {
          finished(queue);
        }
      },
      (error: unknown) => {
        try {
          entry.reject(error);
        } finally {
          finished(queue);
        }
      },
    );
  }

  function finished(queue: KeyQueue): void {
    account(queue);
    pump();
  }

  /** As `finished`, for a task that finished inside pump(), which starts what is next. */
  function account(queue: KeyQueue): void {
    running--;
    size--;
    const next = queue.head.next;
    if (next !== undefined) {
      queue.head = next;
      ready.push(queue);
    } else queues.delete(queue.key);
    wakeIfIdle();
  }

  function wakeIfIdle(): void {
    if (size === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  function add(key: string, entry: Entry): void {
    size++;
    const queue = queues.get(key);
    if (queue) {
      queue.last.next = entry;
      queue.last = entry;
    } else {
      const created: KeyQueue = { key, head: entry, last: entry };
      queues.set(key, created);
      ready.push(created);
      pump();
    }
  }

  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) =>
        add(key, { task, callback: undefined, resolve: resolve as (v: unknown) => void, reject, next: undefined }),
      );
    },
    enqueue(key: string, task: () => Promise<unknown>, onError: (error: unknown) => void): void {
      add(key, { task, callback: undefined, resolve: undefined, reject: onError, next: undefined });
    },
    enqueueCallback(key: string, task: (finish: () => void) => void, onError: (error: unknown) => void): void {
      add(key, { task: undefined, callback: task, resolve: undefined, reject: onError, next: undefined });
    },
    get size() {
      return size;
    },
    idle() {
      return size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
