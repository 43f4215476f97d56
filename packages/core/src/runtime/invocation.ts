import type { AnyContract } from '../contracts/contracts.js';
import type { IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import type { HandlerContext } from './handler-context.js';
import type { RunAbort } from './run-abort.js';
import type { HandlerRegistration } from './service.js';

/**
 * What middleware sees: one run of one handler, sync or async. Middleware may replace
 * `input` (validation does, with the parsed value) and read everything else.
 */
export interface Invocation {
  readonly registration: HandlerRegistration;
  readonly contract: AnyContract;
  input: unknown;
  readonly ctx: HandlerContext;
  /** Aborting it aborts `ctx.signal`; the timeout middleware and shutdown use it. */
  readonly controller: RunAbort;
  /** Events: the consumed message. */
  readonly message?: IncomingMessage;
  /** Events the handler published; sent (or written to the outbox) only if it succeeds. */
  readonly pending: OutgoingMessage[];
}
