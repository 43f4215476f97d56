export * from './inventory.js';
export * from './payments.js';
export * from './orders.js';
export * from './shipping.js';
export * from './notifications.js';
export * from './analytics.js';
