// NestJS microservice on its Kafka transport: an @EventPattern handler on the topic that
// validates with zod; Nest runs kafkajs eachMessage with auto-commit.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Controller, Module } from '@nestjs/common';
import { EventPattern, Payload, Transport } from '@nestjs/microservices';
import { countHandled, ready, validate } from './drain-counter.mjs';
import { brokers, group, topic } from './kafka-env.mjs';

class OrdersController {
  placed(data) {
    validate(data);
    countHandled();
  }
}
const placed = Object.getOwnPropertyDescriptor(OrdersController.prototype, 'placed');
Payload()(OrdersController.prototype, 'placed', 0);
EventPattern(topic)(OrdersController.prototype, 'placed', placed);
Controller()(OrdersController);

class OrdersModule {}
Module({ controllers: [OrdersController] })(OrdersModule);

const app = await NestFactory.createMicroservice(OrdersModule, {
  logger: false,
  transport: Transport.KAFKA,
  options: {
    client: { brokers, clientId: 'bench-nest', logLevel: 0 },
    consumer: { groupId: group, maxWaitTimeInMs: 200 },
    subscribe: { fromBeginning: true },
  },
});
await app.listen();
ready(topic);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
