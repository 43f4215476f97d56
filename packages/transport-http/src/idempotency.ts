/**
 * Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-header) is carried out by the
 * runtime, so a key means the same over HTTP and in process: the server passes the header
 * on as the run's `idempotencyKey`, and says when an answer is a replay.
 */
export const REPLAYED_HEADER = 'idempotent-replayed';
