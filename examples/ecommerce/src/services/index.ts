import { Analytics } from './analytics.js';
import { Inventory } from './inventory.js';
import { Notifications } from './notifications.js';
import { Orders } from './orders.js';
import { Payments } from './payments.js';
import { Shipping } from './shipping.js';
import { orderFulfilment } from '../sagas/order-fulfilment.js';

/** All six services (analytics too) and the orders service's saga, for `tandem docs --module examples/ecommerce/dist/services/index.js`. */
export const services = [
  new Orders(),
  new Inventory(),
  new Payments(),
  new Shipping(),
  new Notifications(),
  new Analytics(),
  orderFulfilment(),
];
