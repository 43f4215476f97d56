import type { EventContract, SyncContract } from '../contracts/contracts.js';
import { ValidationError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { encodeEvent } from '../messages/envelope.js';
import { issuesOf } from '../middleware/validation.js';
import type { OutgoingMessage } from '../transport/broker.js';
import type { CallOptions, HandlerContext, HandlerMeta, PublishOptions } from './handler-context.js';

export interface ContextDeps {
  log: Logger;
  /** Routes `ctx.call` (in process or through the call transport). */
  call(contract: SyncContract, input: unknown, options: CallOptions, parent: HandlerMeta): Promise<unknown>;
}

/** The concrete context; `tx` is set by the unit of work once its transaction is open. */
export class RunContext implements HandlerContext {
  tx: unknown = undefined;
  readonly log: Logger;

  constructor(
    private readonly deps: ContextDeps,
    readonly meta: HandlerMeta,
    readonly signal: AbortSignal,
    private readonly pending: OutgoingMessage[],
  ) {
    this.log = deps.log;
  }

  async publish<E extends EventContract>(event: E, data: unknown, options: PublishOptions = {}): Promise<void> {
    const parsed = event.data.safeParse(data);
    if (!parsed.success) {
      const issues = issuesOf(parsed.error);
      throw new ValidationError(
        `ctx.publish(${event.name}): data does not match the contract: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        {
          details: { issues },
        },
      );
    }
    this.pending.push(
      encodeEvent(event, parsed.data, {
        source: this.meta.service,
        ...(options.key !== undefined ? { key: options.key } : {}),
        correlationId: this.meta.correlationId,
        causationId: this.meta.messageId,
        ...(options.headers ? { headers: options.headers } : {}),
      }),
    );
  }

  call<C extends SyncContract>(contract: C, input: unknown, options: CallOptions = {}): Promise<never> {
    return this.deps.call(contract, input, options, this.meta) as Promise<never>;
  }
}
