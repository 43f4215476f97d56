// The orders.place command on NestJS (default express platform): a controller whose POST
// handler validates the body with the same zod schema. Plain JS, so Nest's decorators are
// applied as functions instead of with @ syntax.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { BadRequestException, Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { PlaceOrder, total } from '../http-overhead/payload.mjs';
import { reportCpuOnSignal } from '../lib/server-process.mjs';

reportCpuOnSignal();

class OrdersController {
  place(body) {
    const input = PlaceOrder.safeParse(body);
    if (!input.success) throw new BadRequestException({ issues: input.error.issues });
    return { accepted: true, total: total(input.data) };
  }
}
const place = Object.getOwnPropertyDescriptor(OrdersController.prototype, 'place');
Body()(OrdersController.prototype, 'place', 0);
HttpCode(200)(OrdersController.prototype, 'place', place);
Post('orders.place')(OrdersController.prototype, 'place', place);
Controller('commands')(OrdersController);

class OrdersModule {}
Module({ controllers: [OrdersController] })(OrdersModule);

const app = await NestFactory.create(OrdersModule, { logger: false });
await app.listen(0, '127.0.0.1');
console.log(`listening http://127.0.0.1:${app.getHttpServer().address().port}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
