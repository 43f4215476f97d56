/** Something that can tell a run its caller went away; see RunAbort.cancelledBy. */
export interface CancelSource {
  onCancel(cancel: (reason: unknown) => void): void;
}

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
  private source: CancelSource | undefined = undefined;
  private listeners: Array<(reason: unknown) => void> | undefined = undefined;
  /** The runtime's own end of the run (see endOnAbort): one slot, so it costs no array. */
  private ending: ((reason: unknown) => void) | undefined = undefined;
  private followingParent = false;
  /** The app's in-flight runs, told when this run's signal is made so a forced stop can abort it. */
  watchedBy: { watch(run: RunAbort): void } | undefined = undefined;
  /** Where InFlight keeps this run while it is watched (see InFlight.watch); -1 while it is not. */
  watchIndex = -1;

  /** Aborts this run when `signal` (a caller's) aborts. */
  follow(signal: AbortSignal): void {
    if (signal.aborted) this.abort(signal.reason);
    else this.parent = signal;
  }

  /** Aborts this run when `run` (the caller of an in-process call) aborts. */
  followRun(run: RunAbort): () => void {
    return run.onAbort((reason) => this.abort(reason));
  }

  /**
   * Calls `listener` once when the run aborts (at once if it has). For the runtime's own
   * steps that must react to an abort whether or not the handler reads `ctx.signal` (a unit
   * of work ends at its deadline). Returns a function that removes the listener.
   */
  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.aborted) {
      listener(this.reasonBox!.reason);
      return noop;
    }
    if (this.listeners === undefined) this.listeners = [];
    this.listeners.push(listener);
    this.observed();
    return () => {
      const index = this.listeners?.indexOf(listener) ?? -1;
      if (index >= 0) this.listeners!.splice(index, 1);
    };
  }

  /**
   * Calls `end` once when the run aborts (at once if it has), after the listeners: the
   * runtime's way to answer a run at its abort even if the handler never returns. One per
   * run, and it stays registered (`end` ignores a call after the run was answered): a
   * delivery registers it on every run, so it costs no array and no remover.
   */
  endOnAbort(end: (reason: unknown) => void): void {
    if (this.aborted) return end(this.reasonBox!.reason);
    this.ending = end;
    this.observed();
  }

  /**
   * Something now reacts to this run's abort: only from here can an abort be observed (as
   * when its signal is made), so only now does the run need to be watched and follow its
   * caller's signal.
   */
  private observed(): void {
    if (this.controller === undefined && this.watchIndex < 0) this.watchedBy?.watch(this);
    if (this.parent && !this.followingParent) {
      this.followingParent = true;
      const parent = this.parent;
      parent.addEventListener('abort', () => this.abort(parent.reason), { once: true });
    }
  }

  /** The reason the run was aborted with; undefined while it was not. */
  get reason(): unknown {
    return this.aborted ? this.reasonBox!.reason : undefined;
  }

  /**
   * Registers the run's cancellation source (a server's "client went away"), asked to
   * listen only once the signal is read: until then nobody could observe the abort, so
   * there is nothing to listen for. An object with a method rather than a callback, so a
   * server can pass its per-request object and allocate no closure.
   */
  cancelledBy(source: CancelSource): void {
    if (this.controller !== undefined) source.onCancel((reason) => this.abort(reason));
    else this.source = source;
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
      else if (this.parent && !this.followingParent) {
        this.followingParent = true;
        const parent = this.parent;
        parent.addEventListener('abort', () => this.abort(parent.reason), { once: true });
      }
      if (this.source) this.source.onCancel((reason) => this.abort(reason));
      if (this.watchIndex < 0) this.watchedBy?.watch(this);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.reasonBox !== undefined) return;
    this.reasonBox = { reason };
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener(reason);
    const ending = this.ending;
    this.ending = undefined;
    ending?.(reason);
  }
}

function noop(): void {}
