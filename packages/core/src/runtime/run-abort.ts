/**
 * The abort side of one handler run. `ctx.signal` is made only when something reads it:
 * most handlers never do, and an AbortController per request was a measurable share of
 * the HTTP command path. Aborting before anyone read the signal is remembered, so a
 * signal made later starts out aborted.
 */
export class RunAbort {
  // Initialised, so every RunAbort has one shape from the start.
  private controller: AbortController | undefined = undefined;
  private reasonBox: { reason: unknown } | undefined = undefined;
  private parent: AbortSignal | undefined = undefined;
  private sources: Array<(abort: (reason: unknown) => void) => void> | undefined = undefined;
  /** The app's in-flight runs, told when this run's signal is made so a forced stop can abort it. */
  watchedBy: { watch(run: RunAbort): void } | undefined = undefined;

  /** Aborts this run when `signal` (a caller's) aborts. */
  follow(signal: AbortSignal): void {
    if (signal.aborted) this.abort(signal.reason);
    else this.parent = signal;
  }

  /**
   * Registers a cancellation source (a server's "client went away") only once the signal
   * is read: until then nobody could observe the abort, so there is nothing to listen for.
   */
  onSignalRead(source: (abort: (reason: unknown) => void) => void): void {
    if (this.controller !== undefined) source((reason) => this.abort(reason));
    else (this.sources ??= []).push(source);
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
      if (this.sources) for (const source of this.sources.splice(0)) source((reason) => this.abort(reason));
      this.watchedBy?.watch(this);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.reasonBox !== undefined) return;
    this.reasonBox = { reason };
    this.controller?.abort(reason);
  }
}
