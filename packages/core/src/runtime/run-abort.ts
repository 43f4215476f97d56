/**
 * The abort side of one handler run. `ctx.signal` is made only when something reads it:
 * most handlers never do, and an AbortController per request was a measurable share of
 * the HTTP command path. Aborting before anyone read the signal is remembered, so a
 * signal made later starts out aborted.
 */
export class RunAbort {
  private controller: AbortController | undefined;
  private reasonBox: { reason: unknown } | undefined;
  private parent: AbortSignal | undefined;

  /** Aborts this run when `signal` (a caller's) aborts. */
  follow(signal: AbortSignal): void {
    if (signal.aborted) this.abort(signal.reason);
    else this.parent = signal;
  }

  get aborted(): boolean {
    if (this.reasonBox === undefined && this.parent?.aborted) this.abort(this.parent.reason);
    return this.reasonBox !== undefined;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.aborted) controller.abort(this.reasonBox!.reason);
      else if (this.parent) {
        const parent = this.parent;
        parent.addEventListener('abort', () => this.abort(parent.reason), { once: true });
      }
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.reasonBox !== undefined) return;
    this.reasonBox = { reason };
    this.controller?.abort(reason);
  }
}
