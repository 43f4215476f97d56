/**
 * How `tandem replay` shows its progress: on a terminal, one line rewritten in place (bar,
 * count, percent, rate, ETA); into a file or a CI log, a line at most every couple of
 * seconds, so a long replay neither floods the log nor looks stuck.
 */
import type { ReplayProgress } from '../replay/replay.js';
import { formatDuration } from './durations.js';

export interface ProgressOptions {
  /** Rewrite one line with `\r` (a terminal) rather than append lines. */
  tty: boolean;
  /** Least time between two appended lines. Default 2,000 ms. */
  intervalMs?: number;
  now?: () => number;
}

export interface ProgressReporter {
  update(progress: ReplayProgress): void;
  /** Ends the rewritten line, so what follows starts on a line of its own. */
  end(): void;
}

const BAR_WIDTH = 24;

/** `1200/5000 events (24%), 400 events/s, ETA 9s`, with a bar in front on a terminal. */
export function progressLine(progress: ReplayProgress, bar: boolean): string {
  const { total, delivered, elapsedMs } = progress;
  const share = total > 0 ? Math.min(1, delivered / total) : 1;
  const perSecond = elapsedMs > 0 ? (delivered * 1000) / elapsedMs : 0;
  const eta = perSecond > 0 ? formatDuration(((total - delivered) / perSecond) * 1000) : '-';
  const filled = Math.round(share * BAR_WIDTH);
  const prefix = bar ? `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ` : 'replay: ';
  return `${prefix}${delivered}/${total} events (${Math.floor(share * 100)}%), ${Math.round(perSecond)} events/s, ETA ${eta}`;
}

export function progressReporter(stream: { write(text: string): unknown }, options: ProgressOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 2_000;
  let lastLine = now();
  let open = false;
  return {
    update(progress) {
      if (options.tty) {
        // \x1b[K clears what a longer previous line left to the right.
        stream.write(`\r${progressLine(progress, true)}\x1b[K`);
        open = true;
        return;
      }
      // The last update is followed by the summary, which says the same.
      if (progress.delivered >= progress.total || now() - lastLine < interval) return;
      lastLine = now();
      stream.write(progressLine(progress, false) + '\n');
    },
    end() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
