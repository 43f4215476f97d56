// Compiled by decorators.test.ts both with tsc (experimentalDecorators + emitDecoratorMetadata)
// and with vitest's own transform, to show the two record the same registration.
import { z } from 'zod';
import {
  Command,
  defineCommand,
  defineEvent,
  defineQuery,
  OnEvent,
  Query,
  Service,
  type HandlerContext,
} from '@tandem/core';

export const Place = defineCommand('orders.place', {
  input: z.object({ sku: z.string() }),
  output: z.object({ id: z.string() }),
});
export const Get = defineQuery('orders.get', {
  input: z.object({ id: z.string() }),
  output: z.object({ id: z.string() }),
});
export const Paid = defineEvent('payments.paid', { data: z.object({ id: z.string() }) });

@Service('orders')
export class Orders {
  prefix = 'o-';

  @Command(Place, { timeoutMs: 500 })
  async place(input: { sku: string }, _ctx: HandlerContext): Promise<{ id: string }> {
    return { id: this.prefix + input.sku };
  }

  @Query(Get)
  async get(input: { id: string }): Promise<{ id: string }> {
    return { id: input.id };
  }

  @OnEvent(Paid, { group: 'orders-payments', retry: { attempts: 3 } })
  async onPaid(): Promise<void> {}
}
