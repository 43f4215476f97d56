/**
 * The saga part of the store seam: one row per saga instance, read and written in the
 * transaction of the step that drives it, so the instance's new state, the inbox record of
 * the message and the outbox rows of the step commit together or not at all.
 */

/** Where an instance is in its life. `completed` and `compensated` are ends; `parked` waits for an operator. */
export type SagaStatus = 'running' | 'compensating' | 'completed' | 'compensated' | 'parked';

/** Statuses an instance never leaves by itself. */
export const endedSagaStatuses: readonly SagaStatus[] = ['completed', 'compensated'];

/** What undoes a step: a command sent through the saga's dispatcher, or an event published at once. */
export type SagaAction =
  | { kind: 'command'; name: string; input: unknown; inputVersion?: number }
  | { kind: 'event'; name: string; topic: string; version: number; data: unknown; key?: string };

/** A timeout as the instance keeps it; the token tells a stale timeout message from the live one. */
export interface SagaTimeout {
  /** When it is due, epoch ms. */
  dueAt: number;
  token: string;
  /** Set once the clock has sent its message; the entry goes when the saga handles it. */
  fired?: boolean;
}

/** A command the instance sent and has no reply for yet. */
export interface PendingCommand {
  command: string;
  /** Run if the command succeeded (or its outcome is unknown) and the saga is compensating or compensated by then. */
  undo?: SagaAction;
  /** Sent as a compensation: its reply advances the compensation, not a user step. */
  compensation?: boolean;
  /** For a compensation: the action itself, kept to run again if it fails and an operator retries. */
  action?: SagaAction;
}

/** One line of an instance's history, for `tandem sagas show`. */
export interface SagaHistoryEntry {
  /** Epoch ms. */
  at: number;
  /** What drove the step: an event type, `reply:<command>`, `timeout:<name>`, or `operator:retry`. */
  input: string;
  /** The id of the message that drove it, when one did. */
  messageId?: string;
  /** The status after the step. */
  status: SagaStatus;
  /** Why a message changed nothing (a duplicate for a completed saga, a stale timeout), or a compensation's outcome. */
  note?: string;
}

/** What the runtime keeps for an instance beside the user's state. Opaque JSON to a store. */
export interface SagaData {
  timeouts: Record<string, SagaTimeout>;
  /** Undo actions of completed forward steps, oldest first; compensation runs them from the end. */
  compensations: SagaAction[];
  /** Commands sent and not answered yet, by command id. */
  pending: Record<string, PendingCommand>;
  /** The latest steps, oldest first, bounded (see MAX_SAGA_HISTORY). */
  history: SagaHistoryEntry[];
  /** Why it is compensating, compensated or parked. */
  reason?: string;
  /** The error that parked it. */
  error?: string;
  /** The compensation that failed and parked it; `tandem sagas retry` runs it again. */
  failed?: SagaAction;
  /** The correlation id of the message that started it: its timeouts carry it. */
  correlationId?: string;
}

/** One saga instance: a row of the store. */
export interface SagaInstance {
  /** The saga's name. */
  saga: string;
  /** The correlation key (an order id, say): one instance per saga and id. */
  id: string;
  /** 1 once first saved; each save adds one. */
  version: number;
  status: SagaStatus;
  /** The user's state, as JSON. */
  state: unknown;
  data: SagaData;
  /** The earliest timeout not yet fired, epoch ms; the clock polls on it. Undefined when none. */
  dueAt?: number;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms. */
  updatedAt: number;
}

/** Which instances `list` returns. */
export interface SagaQuery {
  saga?: string;
  status?: SagaStatus | readonly SagaStatus[];
  /** Only instances last changed before this time (epoch ms): the stuck ones. */
  updatedBefore?: number;
  /** Default 100. */
  limit?: number;
}

/** How many instances a saga has in one status, and the oldest last change among them. */
export interface SagaCount {
  saga: string;
  status: SagaStatus;
  count: number;
  /** Epoch ms. */
  oldestUpdatedAt: number;
}

/**
 * Saga instances in the store. `load` and `claimDue` lock what they return to the
 * transaction, so the steps of one instance run one after another across every app
 * instance; `save` checks the version as well, so a store that cannot lock still never
 * loses an update (it reports a conflict and the step runs again).
 */
export interface SagaStore<Tx = unknown> {
  /**
   * Reads an instance in `tx` and locks it to `tx`: another transaction's `load` or
   * `claimDue` of the same instance waits (load) or skips it (claimDue) until `tx` ends.
   */
  load(tx: Tx, saga: string, id: string): Promise<SagaInstance | undefined>;
  /**
   * Writes `instance` in `tx`: inserts it when `expectedVersion` is 0, else updates the
   * stored one if its version is still `expectedVersion`. `instance.version` is the new
   * version (`expectedVersion + 1`). False, with nothing written, on a conflict: another
   * transaction inserted or changed it first.
   */
  save(tx: Tx, instance: SagaInstance, expectedVersion: number): Promise<boolean>;
  /**
   * Instances with `dueAt <= now`, earliest first, at most `limit`, locked to `tx`;
   * instances another transaction holds are skipped, not waited for.
   */
  claimDue(tx: Tx, now: number, limit: number): Promise<SagaInstance[]>;
  /** Operator reads, outside any transaction: newest change first. */
  list(query?: SagaQuery): Promise<SagaInstance[]>;
  get(saga: string, id: string): Promise<SagaInstance | undefined>;
  counts(): Promise<SagaCount[]>;
  /** Deletes instances that ended (completed, compensated) before `before` (epoch ms); returns how many. */
  purgeEnded(before: number, limit?: number): Promise<number>;
}

/** History lines an instance keeps; older ones are dropped first. */
export const MAX_SAGA_HISTORY = 50;
