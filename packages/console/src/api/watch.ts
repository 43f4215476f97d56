import type { Subscription } from 'rxjs';
import type { ActivitySource } from '@tandem/core';
import { activity$ } from '../activity.js';
import { edgeRates, type EdgeRates } from '../feeds/edge-rates.js';
import { handlerStats, type HandlerStats, type HandlerStatsOptions } from '../feeds/handler-stats.js';

/**
 * The statistics the API answers, kept only while someone looks: the first request starts
 * them, and they stop `idleMs` after the last, so that an app nobody watches builds no
 * activity records. The first answers after a start cover only the time since.
 */
export class Watch {
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  stats: HandlerStats[] = [];
  edges: EdgeRates = { published: [], delivered: [] };

  constructor(
    private readonly source: ActivitySource,
    private readonly options: HandlerStatsOptions,
    private readonly idleMs: number,
  ) {}

  /** The latest values, and how long the window has been filling (ms). */
  look(): { stats: HandlerStats[]; edges: EdgeRates; watchedForMs: number } {
    if (!this.subscription) this.start();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.stop(), this.idleMs);
    this.timer.unref();
    return { stats: this.stats, edges: this.edges, watchedForMs: Date.now() - this.startedAt };
  }

  stop(): void {
    clearTimeout(this.timer);
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.stats = [];
    this.edges = { published: [], delivered: [] };
  }

  private start(): void {
    const activity = activity$(this.source);
    this.startedAt = Date.now();
    const subscription = handlerStats(activity, this.options).subscribe((stats) => (this.stats = stats));
    subscription.add(
      edgeRates(activity, {
        ...(this.options.tickMs !== undefined ? { tickMs: this.options.tickMs } : {}),
      }).subscribe((edges) => (this.edges = edges)),
    );
    this.subscription = subscription;
  }
}
