/**
 * A view of the page: draws into `root` and returns what stops its polling or stream.
 * `param` is what follows the view's id in the location's hash (`#traces/<traceId>`).
 */
export interface View {
  readonly id: string;
  readonly title: string;
  mount(root: HTMLElement, context: ViewContext, param?: string): () => void;
}

export interface ViewContext {
  /** Shows an error (or clears it with undefined) in the page's status line, as text. */
  report(error: unknown): void;
}

/** Runs `tick` now and every `ms` until stopped, reporting its errors; one at a time. */
export function every(ms: number, tick: () => Promise<void>, context: ViewContext): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    try {
      await tick();
      context.report(undefined);
    } catch (error) {
      context.report(error);
    }
    if (!stopped) timer = setTimeout(() => void run(), ms);
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
