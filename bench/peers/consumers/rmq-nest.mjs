// NestJS microservice on its RMQ transport: an @EventPattern handler that validates with
// zod and acks by hand (noAck: false), as at-least-once consumers do.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Controller, Module } from '@nestjs/common';
import { Ctx, EventPattern, Payload, Transport } from '@nestjs/microservices';
import { countHandled, name, prefetch, ready, url, validate } from './drain-counter.mjs';

class OrdersController {
  placed(data, context) {
    validate(data);
    countHandled();
    context.getChannelRef().ack(context.getMessage());
  }
}
const placed = Object.getOwnPropertyDescriptor(OrdersController.prototype, 'placed');
Payload()(OrdersController.prototype, 'placed', 0);
Ctx()(OrdersController.prototype, 'placed', 1);
EventPattern('orders.placed')(OrdersController.prototype, 'placed', placed);
Controller()(OrdersController);

class OrdersModule {}
Module({ controllers: [OrdersController] })(OrdersModule);

const app = await NestFactory.createMicroservice(OrdersModule, {
  logger: false,
  transport: Transport.RMQ,
  options: { urls: [url], queue: name, queueOptions: { durable: true }, noAck: false, prefetchCount: prefetch },
});
await app.listen();
ready(name);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
