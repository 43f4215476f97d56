/**
 * Finds event-loop stalls the process caused itself. A timer that should fire every
 * `intervalMs` measures each gap; a gap counts as a stall only by the CPU time the process
 * spent in it, so a loaded machine that descheduled the test (long gap, little CPU) is not
 * mistaken for a handler that blocked the loop (long gap, all of it CPU).
 */
export class StallWatch {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private lastCpu = process.cpuUsage();
  /** The worst stall seen while watching, in ms of CPU time within one gap. */
  worstMs = 0;

  constructor(private readonly intervalMs = 10) {}

  /** Starts (or restarts) watching from now; work done before this is not counted. */
  watch(): void {
    this.last = performance.now();
    this.lastCpu = process.cpuUsage();
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
  }

  /** Stops watching; the gap in progress is measured first. */
  pause(): void {
    if (!this.timer) return;
    this.tick();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const gapMs = now - this.last - this.intervalMs;
    const cpuMs = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / 1_000;
    // CPU time counts every thread of the process (GC helpers too), so a stall is at most the gap.
    this.worstMs = Math.max(this.worstMs, Math.min(gapMs, cpuMs));
    this.last = now;
    this.lastCpu = cpu;
  }
}
