// One calling process: CALLER=raw (undici Pool's request(), JSON in and out, zod on the
// answer), CALLER=dispatch (the same through undici's lowest API, Pool.dispatch() with a
// handler of its own: the floor any client built on undici stands on) or CALLER=tandem
// (httpClient.call with the contract, which validates input and output).
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

/** Gathers one answer's status and body, as the least a dispatch() handler can do. */
class AnswerHandler {
  constructor(resolve, reject) {
    this.resolve = resolve;
    this.reject = reject;
    this.status = 0;
    this.chunks = [];
  }
  onConnect() {}
  onHeaders(statusCode) {
    this.status = statusCode;
    return true;
  }
  onData(chunk) {
    this.chunks.push(chunk);
    return true;
  }
  onComplete() {
    this.resolve({ status: this.status, text: Buffer.concat(this.chunks).toString('utf8') });
  }
  onError(error) {
    this.reject(error);
  }
}

function dispatchCaller() {
  const pool = new Pool(url, { connections });
  const origin = new URL(url).origin;
  return async () => {
    const answer = await new Promise((resolve, reject) =>
      pool.dispatch(
        {
          origin,
          path: '/commands/orders.place',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(PlaceOrder.parse(order)),
        },
        new AnswerHandler(resolve, reject),
      ),
    );
    if (answer.status !== 200) throw new Error(`status ${answer.status}`);
    return Answer.parse(JSON.parse(answer.text));
  };
}

function tandemCaller() {
  // Retries and breaker stay on (their defaults): that is what a user gets.
  const client = httpClient({ services: { orders: url }, connections, logger: silentLogger });
  return () => client.call(placeOrder, order);
}

const makers = { raw: rawCaller, dispatch: dispatchCaller, tandem: tandemCaller };
const call = makers[process.env.CALLER ?? 'raw']();

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
