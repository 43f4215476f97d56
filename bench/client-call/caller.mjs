// One calling process: CALLER=raw (undici Pool, JSON in and out, zod on the answer) or
// CALLER=tandem (httpClient.call with the contract, which validates input and output).
// Closed loop: CONNECTIONS callers each awaiting its call before the next, for SECONDS.
// Prints one JSON line with calls/s, latency percentiles and this process's CPU per call.
import { Pool } from 'undici';
import { z } from 'zod';
import { defineCommand, silentLogger } from '@tandem/core';
import { httpClient } from '@tandem/transport-http';
import { body, PlaceOrder } from '../http-overhead/payload.mjs';
import { percentile } from '../lib/stats.mjs';

const url = process.env.SERVER_URL;
const connections = Number(process.env.CONNECTIONS ?? 32);
const seconds = Number(process.env.SECONDS ?? 5);
const Answer = z.object({ accepted: z.boolean(), total: z.number() });
const placeOrder = defineCommand('orders.place', { input: PlaceOrder, output: Answer });
const order = JSON.parse(body);

function rawCaller() {
  const pool = new Pool(url, { connections });
  return async () => {
    const response = await pool.request({
      path: '/commands/orders.place',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(PlaceOrder.parse(order)),
    });
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
    return Answer.parse(await response.body.json());
  };
}

function tandemCaller() {
  // Retries and breaker stay on (their defaults): that is what a user gets.
  const client = httpClient({ services: { orders: url }, connections, logger: silentLogger });
  return () => client.call(placeOrder, order);
}

const call = process.env.CALLER === 'tandem' ? tandemCaller() : rawCaller();

async function loop(until, samples) {
  while (performance.now() < until) {
    const started = performance.now();
    await call();
    samples?.push(performance.now() - started);
  }
}

await Promise.all(Array.from({ length: connections }, () => loop(performance.now() + 1000))); // warm-up
const samples = [];
const cpu = process.cpuUsage();
const started = performance.now();
await Promise.all(Array.from({ length: connections }, () => loop(started + seconds * 1000, samples)));
const elapsed = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify({
    rate: samples.length / elapsed,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    cpuMicros: (used.user + used.system) / samples.length,
    peakRss: process.resourceUsage().maxRSS * 1024,
  }),
);
process.exit(0);
