import { NotFoundError, OnEvent, Query, Service, type HandlerContext } from '@tandem/core';
import type { z } from 'zod';
import { GetShipment, OrderPlaced } from './contracts.js';

@Service('shipping')
export class Shipping {
  private readonly shipments = new Map<string, 'pending' | 'shipped'>();

  /** The async part: runs on its own time, retried by the broker if it fails. */
  @OnEvent(OrderPlaced, { retry: { attempts: 5 } })
  async onOrderPlaced(event: z.output<typeof OrderPlaced.data>, ctx: HandlerContext) {
    this.shipments.set(event.orderId, 'shipped');
    ctx.log.info({ orderId: event.orderId, items: event.items }, 'shipment scheduled');
  }

  @Query(GetShipment)
  async get({ orderId }: { orderId: string }) {
    const status = this.shipments.get(orderId);
    if (!status) throw new NotFoundError(`no shipment for order ${orderId} (yet)`);
    return { orderId, status };
  }
}
