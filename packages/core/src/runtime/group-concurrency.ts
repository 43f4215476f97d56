/**
 * A consumer group's concurrency: the app's default, unless every handler in the group
 * declares its own (then their sum, so a group of one handler with `concurrency: 1` takes
 * one message at a time), and never below the largest a handler declared.
 */
export function groupConcurrency(
  handlers: ReadonlyArray<{ options: { concurrency?: number } }>,
  fallback: number,
): number {
  const declared = handlers.map((h) => h.options.concurrency);
  if (declared.every((n): n is number => n !== undefined)) return declared.reduce((a, b) => a + b, 0);
  return Math.max(fallback, ...declared.map((n) => n ?? 0));
}
