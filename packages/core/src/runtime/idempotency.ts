/**
 * Idempotency keys for commands, in the runtime, so that a key means the same over HTTP and
 * in process (IETF draft-ietf-httpapi-idempotency-key-header): the first run with a key runs;
 * a duplicate while it runs gets TANDEM_IDEMPOTENCY_IN_FLIGHT; the same key with different
 * input gets TANDEM_IDEMPOTENCY_MISMATCH; once it completed, its outcome is replayed.
 *
 * The claim is a lease with an owner token, renewed while the run's unit of work is open.
 * Where the store can, the outcome is written in the handler's own transaction, so the key
 * is completed if and only if the handler's writes commit. A run that failed releases the
 * key only after its unit of work settled (rolled back), never while it may still commit.
 */
import { createHash } from 'node:crypto';
import {
  errorClassesByCode,
  IdempotencyInFlightError,
  IdempotencyMismatchError,
  InternalError,
  isTandemError,
  MalformedRequestError,
  type TandemError,
} from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import type { Step } from '../middleware/stage.js';
import type { IdempotencyOutcome, IdempotencyStore } from '../stores/store.js';
import { boundedJson } from './bounded-json.js';
import { canonicalJson } from './canonical-json.js';
import type { Invocation } from './invocation.js';

export interface IdempotencyOptions {
  /** Where records live: the app store's by default, else one in this process. */
  store?: IdempotencyStore;
  /** How long a completed outcome is replayed. Default 24 h. */
  ttlMs?: number;
  /**
   * How long an unfinished run holds its key without renewing it: a run renews its lease every
   * third of it, so this is how long the key stays claimed after its instance died (or stalled
   * that long, in which case its run is rolled back). Default 10 s.
   */
  leaseMs?: number;
  /**
   * Largest outcome kept for replay, in bytes of JSON (a result, or an error with its
   * details). A larger answer still goes to its caller, but only a marker is kept: a replay
   * answers TANDEM_IDEMPOTENCY_RESULT_NOT_STORED (409) and does not run the command again.
   * Default 64 KiB.
   */
  maxStoredBytes?: number;
}

export const DEFAULT_MAX_STORED_BYTES = 64 * 1024;

export interface IdempotencySettings {
  store: IdempotencyStore;
  ttlMs: number;
  leaseMs: number;
  maxStoredBytes: number;
  /** The store's records live in the handler's database: outcomes are written in its transaction. */
  inTx: boolean;
  log: Logger;
}

/** One run's claim on a key, as the unit of work sees it. */
export interface IdempotentClaim {
  readonly store: IdempotencyStore;
  readonly scope: string;
  readonly key: string;
  readonly lease: string;
  readonly ttlMs: number;
  readonly leaseMs: number;
  readonly maxStoredBytes: number;
  readonly inTx: boolean;
  /** Set by the unit of work once the outcome was written in the handler's transaction. */
  recorded: boolean;
}

/**
 * The claim of a command called in process that joins its caller's transaction, on a store
 * that can claim inside it (`beginIn`): made by the unit of work in the call's savepoint,
 * so that the claim, the writes and the outcome commit together or not at all (see `claimIn`).
 */
export interface JoinedClaim {
  readonly joined: true;
  readonly store: IdempotencyStore;
  readonly scope: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly ttlMs: number;
  readonly leaseMs: number;
  readonly maxStoredBytes: number;
}

const MAX_KEY_LENGTH = 255;

/** The idempotency step: around the deadline and the unit of work, after input validation. */
export function idempotent(next: Step, settings: IdempotencySettings): Step {
  return (inv) => {
    const key = inv.ctx.meta.idempotencyKey;
    if (key === undefined || inv.contract.kind !== 'command') return next(inv);
    return runOnce(inv, key, next, settings);
  };
}

async function runOnce(inv: Invocation, key: string, next: Step, s: IdempotencySettings): Promise<unknown> {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH)
    throw new MalformedRequestError(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters (got ${key.length})`);
  const scope = `${inv.contract.name} ${inv.ctx.meta.principal ?? ''}`;
  if (inv.joined && s.inTx && s.store.beginIn) {
    inv.joinedClaim = {
      joined: true,
      store: s.store,
      scope,
      key,
      fingerprint: fingerprintOf(inv.input),
      ttlMs: s.ttlMs,
      leaseMs: s.leaseMs,
      maxStoredBytes: s.maxStoredBytes,
    };
    return next(inv);
  }
  const begun = await s.store.begin(scope, key, fingerprintOf(inv.input), s.leaseMs);
  if (begun.state === 'in-flight') throw inFlight(key);
  if (begun.state === 'mismatch')
    throw new IdempotencyMismatchError(
      `Idempotency-Key '${key}' was already used with a different request; use a new key`,
    );
  if (begun.state === 'completed') {
    inv.replayed = true;
    return replay(begun.outcome);
  }
  const claim: IdempotentClaim = {
    store: s.store,
    scope,
    key,
    lease: begun.lease,
    ttlMs: s.ttlMs,
    leaseMs: s.leaseMs,
    maxStoredBytes: s.maxStoredBytes,
    inTx: s.inTx,
    recorded: false,
  };
  inv.idempotency = claim;
  const renewal = keepLeased(inv, claim, s.log);
  try {
    const value = await next(inv);
    if (!claim.recorded) {
      // No transaction to record it in (no store, or records kept elsewhere): right after the commit.
      await s.store
        .complete(scope, key, claim.lease, claimOutcome(claim, value), s.ttlMs)
        .catch((error: unknown) => s.log.warn({ err: error, key }, 'storing an idempotent outcome failed'));
    }
    clearInterval(renewal);
    return value;
  } catch (error) {
    // The answer may come before the unit has rolled back (an abort answers at once):
    // the key stays claimed until then, so a retry cannot run while this run may still commit.
    const settled = inv.settlement ?? Promise.resolve();
    void settled.then(() => finish(claim, error, s)).finally(() => clearInterval(renewal));
    throw error;
  }
}

/** Renews the lease while the run is open; a lease lost to another owner aborts the run. */
function keepLeased(inv: Invocation, claim: IdempotentClaim, log: Logger): NodeJS.Timeout {
  const timer = setInterval(
    () => {
      claim.store.renew(claim.scope, claim.key, claim.lease, claim.leaseMs).then(
        (kept) => {
          // Not kept once the run recorded its outcome (then it is done, not lost).
          if (!kept && !inv.committing) inv.controller.abort(leaseLost(claim));
        },
        (error: unknown) => log.warn({ err: error, key: claim.key }, 'renewing an idempotency lease failed'),
      );
    },
    Math.max(10, Math.floor(claim.leaseMs / 3)),
  );
  timer.unref();
  return timer;
}

/**
 * Claims a joined call's key inside its savepoint `tx`. Resolves with the claim to complete
 * when the call is to run, or with the earlier run's outcome to answer with (`replayed`).
 * A failure of the call rolls the savepoint back and the claim with it: nothing is kept,
 * and a retry runs the call again (an error outcome is not stored for a joined call).
 */
export async function claimIn(
  claim: JoinedClaim,
  tx: unknown,
): Promise<{ claim: IdempotentClaim } | { replayed: true; outcome: IdempotencyOutcome }> {
  const begun = await claim.store.beginIn!(tx, claim.scope, claim.key, claim.fingerprint, claim.leaseMs);
  if (begun.state === 'in-flight') throw inFlight(claim.key);
  if (begun.state === 'mismatch')
    throw new IdempotencyMismatchError(
      `Idempotency-Key '${claim.key}' was already used with a different request; use a new key`,
    );
  if (begun.state === 'completed') return { replayed: true, outcome: begun.outcome };
  return {
    claim: {
      store: claim.store,
      scope: claim.scope,
      key: claim.key,
      lease: begun.lease,
      ttlMs: claim.ttlMs,
      leaseMs: claim.leaseMs,
      maxStoredBytes: claim.maxStoredBytes,
      inTx: true,
      recorded: false,
    },
  };
}

/** A failed run: its error is the outcome when retrying cannot change it; otherwise the key is freed. */
async function finish(claim: IdempotentClaim, error: unknown, s: IdempotencySettings): Promise<void> {
  try {
    if (isTandemError(error) && !error.retriable) {
      await claim.store.complete(claim.scope, claim.key, claim.lease, errorOutcome(claim, error), claim.ttlMs);
    } else await claim.store.release(claim.scope, claim.key, claim.lease);
  } catch (cause) {
    s.log.warn({ err: cause, key: claim.key }, 'finishing an idempotency claim failed; it lapses with its lease');
  }
}

/** What is kept of a run's result: the result, or a marker when it is too large to keep. */
export function claimOutcome(claim: IdempotentClaim, value: unknown): IdempotencyOutcome {
  if (value === undefined) return { kind: 'result' };
  // Measured with a budget first: a result of many megabytes costs no more than the limit here.
  const json = encoded(value, claim.maxStoredBytes);
  return json === undefined ? notStored(claim, 'succeeded') : { kind: 'result', json };
}

function errorOutcome(claim: IdempotentClaim, error: TandemError): IdempotencyOutcome {
  const outcome: IdempotencyOutcome = {
    kind: 'error',
    code: error.code,
    message: error.message,
    ...(error.details ? { details: error.details } : {}),
  };
  return encoded(outcome, claim.maxStoredBytes) !== undefined ? outcome : notStored(claim, `failed with ${error.code}`);
}

/**
 * `value` as JSON when that takes at most `maxBytes` and nests no deeper than JSON.stringify
 * copes with (the stores encode it again); undefined when it cannot be kept, a value JSON
 * cannot encode (a BigInt) included.
 */
function encoded(value: unknown, maxBytes: number): string | undefined {
  try {
    const json = boundedJson(value, maxBytes);
    return json !== undefined && Buffer.byteLength(json) <= maxBytes ? json : undefined;
  } catch {
    return undefined;
  }
}

/** Kept instead of an outcome too large to keep: enough to say so on a replay, and what happened. */
function notStored(claim: IdempotentClaim, how: string): IdempotencyOutcome {
  return {
    kind: 'error',
    code: 'TANDEM_IDEMPOTENCY_RESULT_NOT_STORED',
    message:
      `the command with Idempotency-Key '${claim.key}' already ran and ${how}, but its answer was larger than ` +
      `the ${claim.maxStoredBytes} bytes kept for replay (idempotency.maxStoredBytes), so it is not repeated here; ` +
      `the command was not run again. Read its outcome another way, or use a new key to run it again`,
    details: { maxStoredBytes: claim.maxStoredBytes },
  };
}

/** The stored outcome as the first run gave it: its result, or its typed error thrown again. */
export function replay(outcome: IdempotencyOutcome): unknown {
  if (outcome.kind === 'result') return outcome.json === undefined ? undefined : JSON.parse(outcome.json);
  const Cls = errorClassesByCode.get(outcome.code);
  const options = outcome.details ? { details: outcome.details } : {};
  if (Cls) throw new Cls(outcome.message, options);
  throw Object.assign(new InternalError(outcome.message, options), { code: outcome.code });
}

export function leaseLost(claim: IdempotentClaim): IdempotencyInFlightError {
  return new IdempotencyInFlightError(
    `the claim on Idempotency-Key '${claim.key}' lapsed and another request with that key took it over; ` +
      `this run was rolled back (its instance stalled longer than the idempotency leaseMs)`,
    { details: { retryAfterSeconds: 1 } },
  );
}

function inFlight(key: string): IdempotencyInFlightError {
  return new IdempotencyInFlightError(`a request with Idempotency-Key '${key}' is still being processed; retry later`, {
    details: { retryAfterSeconds: 1 },
  });
}

/** The same input gives the same fingerprint whatever its keys' order. */
function fingerprintOf(input: unknown): string {
  return createHash('sha256').update(canonicalJson(input)).digest('base64url');
}
