import type { AnyContract } from '../contracts/contracts.js';
import type { IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import type { HandlerContext } from './handler-context.js';
import type { RunContext } from './context-factory.js';
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
  /**
   * The caller's context when this run is an in-process `ctx.call`: the run joins the
   * caller's unit of work (see unit-of-work.ts).
   */
  readonly joined?: RunContext;
  /** Events: the consumed message. */
  readonly message?: IncomingMessage;
  /** Events the handler published; sent (or written to the outbox) only if it succeeds. */
  readonly pending: OutgoingMessage[];
}
