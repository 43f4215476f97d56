import { TandemError, UnavailableError } from '@tandem/core';
import type pg from 'pg';

/** SQLSTATEs that mean the session is gone or cannot start: connection exceptions and shutdowns. */
const LOST_STATES = /^(08...|57P0[1-3])$/;

/** What node-postgres and Node say when the socket died or never opened. */
const LOST_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
];
const LOST_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** Faults raised before a connection existed: nothing was sent. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', '57P03']);

function neverConnected(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && NEVER_CONNECTED.has(code)) ||
    (typeof message === 'string' && message.startsWith('timeout exceeded when trying to connect'))
  );
}

/** True when `error` says the database connection was lost or could not be made, not that a statement failed. */
export function isConnectionFault(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (LOST_STATES.test(code) || LOST_ERRNOS.has(code))) return true;
  return typeof message === 'string' && LOST_MESSAGES.some((m) => message.startsWith(m));
}

/** Whether the work on a lost connection was undone for sure, or may have committed. */
export type LostOutcome = 'rolled-back' | 'unknown';

/**
 * The typed error a unit of work fails with when its connection broke: retriable, with the
 * driver's error as its cause. Anything else (a constraint violation, the handler's own
 * error) passes through unchanged.
 */
export function connectionLost(error: unknown, outcome: LostOutcome, lostBefore?: Error): unknown {
  const fault = isConnectionFault(error) ? error : lostBefore;
  if (fault === undefined || (error instanceof TandemError && !isConnectionFault(error))) return error;
  const why = (fault as Error).message;
  if (neverConnected(fault)) {
    return new UnavailableError(`store-postgres: cannot reach the database (${why}); nothing ran, retry later`, {
      cause: error,
      details: { store: 'postgres', outcome: 'rolled-back' },
    });
  }
  const what =
    outcome === 'rolled-back'
      ? 'the transaction was rolled back; it is safe to retry'
      : 'the statement or COMMIT may or may not have taken effect';
  return new UnavailableError(`store-postgres: the database connection was lost (${why}); ${what}`, {
    cause: error,
    details: { store: 'postgres', outcome },
  });
}

/**
 * Keeps the 'error' events of a checked-out client from crashing the process. pg-pool
 * listens only while a client is idle; a backend terminated while its client is checked out
 * (idle in transaction, or mid-query) emits 'error' with nobody listening.
 */
export interface ConnectionWatch {
  /** The first error or end seen on the connection since the watch began. */
  readonly lost: Error | undefined;
  stop(): void;
}

export function watchConnection(client: pg.ClientBase): ConnectionWatch {
  let lost: Error | undefined;
  const onError = (error: Error): void => {
    lost ??= error;
  };
  const onEnd = (): void => {
    lost ??= new Error('Connection terminated');
  };
  client.on('error', onError);
  client.on('end', onEnd);
  return {
    get lost() {
      return lost;
    },
    stop() {
      client.removeListener('error', onError);
      client.removeListener('end', onEnd);
    },
  };
}
