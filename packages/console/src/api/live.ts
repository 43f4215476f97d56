import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ActivitySource } from '@tandem/core';
import { activity$ } from '../activity.js';
import { sampled } from '../feeds/sampled.js';
import type { ResolvedConsoleOptions } from './options.js';

/**
 * The live stream as server-sent events: one `activity` event per sampled batch
 * (`{ records, dropped }`), a comment line as heartbeat, closed when the client goes or
 * the server drains. A client that reads slower than batches come loses whole batches
 * (counted in the next one's `dropped`): what a server holds for it stays under
 * `maxBufferedBytes`.
 */
export class LiveStreams {
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly options: ResolvedConsoleOptions) {}

  get size(): number {
    return this.open.size;
  }

  serve(source: ActivitySource, req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Proxies that buffer answers (nginx) would hold the stream back.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n\n`);
    this.open.add(res);
    let lost = 0;
    const subscription = sampled(activity$(source), this.options).subscribe((batch) => {
      const dropped = batch.dropped + lost;
      if (res.writableLength > this.options.maxBufferedBytes) {
        lost = dropped + batch.records.length;
        return;
      }
      lost = 0;
      res.write(`event: activity\ndata: ${JSON.stringify({ records: batch.records, dropped })}\n\n`);
    });
    const heartbeat = setInterval(() => {
      if (res.writableLength <= this.options.maxBufferedBytes) res.write(': heartbeat\n\n');
    }, this.options.heartbeatMs);
    const end = () => {
      clearInterval(heartbeat);
      subscription.unsubscribe();
      this.open.delete(res);
      if (!res.writableEnded) res.end();
    };
    req.on('close', end);
    res.on('close', end);
  }

  closeAll(): void {
    for (const res of [...this.open]) res.end();
  }
}
