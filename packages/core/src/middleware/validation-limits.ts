/**
 * Bounds on what a failed validation costs and answers. An input can carry as many bad
 * values as its size allows (a 1 MiB body holds 350,000 empty objects, 700,000 zod issues),
 * and listing every one took seconds of zod's time and a 76 MB problem. So validation
 * lists at most `maxIssues` issues in at most `maxBytes`, says how many it left out, and
 * collects every issue only for inputs small enough that doing so is cheap.
 */
import type { z } from 'zod';

/** Bounds on incoming input before it is validated (size, depth, issues reported). */
export interface ValidationLimits {
  /** Issues listed in a validation error's `details.issues`. Default 20. */
  maxIssues?: number;
  /**
   * Bytes (UTF-8 JSON) of the issues listed; issues past it are counted in `omitted`, and a
   * single issue's path or message longer than a quarter of it is cut in the middle. Default 16 KiB.
   */
  maxBytes?: number;
  /**
   * Inputs of at most this many JSON values (the root, each array element and each object
   * member) are checked in full when they fail, so `details.omitted` is exact. A larger
   * invalid input stops at its first bad value and says `truncated: true` instead: zod's
   * work grows with the number of issues, not with what is shown (a full check of 2,000
   * values that are all wrong takes 10-70 ms). Default 2,000.
   */
  exhaustiveMaxValues?: number;
}

export type ResolvedValidationLimits = Required<ValidationLimits>;

/** The limits a failed validation runs under when the app sets none. */
export const defaultValidationLimits: ResolvedValidationLimits = {
  maxIssues: 20,
  maxBytes: 16 * 1024,
  exhaustiveMaxValues: 2_000,
};

export function resolveValidationLimits(limits: ValidationLimits = {}): ResolvedValidationLimits {
  return { ...defaultValidationLimits, ...limits };
}

/** One validation failure: where in the input and what is wrong. */
export interface ValidationIssue {
  path: string;
  message: string;
  code: string;
}

/** What a validation error's `details` hold. */
export interface ValidationDetails {
  issues: ValidationIssue[];
  /** Issues found but not listed; absent when none were left out or they were not counted. */
  omitted?: number;
  /** Validation stopped at the first bad value (a large input): more issues may exist, uncounted. */
  truncated?: true;
  [member: string]: unknown;
}

/** Issues as `{ path, message, code }`, the first `limit` only (zod's own error holds all of them). */
export function issuesOf(error: z.ZodError, limit = Infinity): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of error.issues) {
    if (out.length >= limit) break;
    out.push({ path: issue.path.map(String).join('.'), message: issue.message, code: issue.code });
  }
  return out;
}

/**
 * The details of a failed validation: the first issues within the limits, and how many
 * were left out. `total` is how many issues were found, `truncated` that there may be more.
 */
export function boundedDetails(
  error: z.ZodError,
  limits: ResolvedValidationLimits,
  truncated: boolean,
): ValidationDetails {
  const total = error.issues.length;
  const longest = Math.max(64, Math.floor(limits.maxBytes / 4));
  const issues: ValidationIssue[] = [];
  let bytes = 2;
  for (const issue of issuesOf(error, limits.maxIssues)) {
    const shown = { path: shorten(issue.path, longest), message: shorten(issue.message, longest), code: issue.code };
    const size = Buffer.byteLength(JSON.stringify(shown)) + 1;
    if (bytes + size > limits.maxBytes) break;
    bytes += size;
    issues.push(shown);
  }
  const details: ValidationDetails = { issues };
  if (total > issues.length) details.omitted = total - issues.length;
  if (truncated) details.truncated = true;
  return details;
}

/** `text` cut to about `max` characters, its middle elided (a deep path's two ends say the most). */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 1) / 2);
  return `${text.slice(0, half)}…${text.slice(text.length - half)}`;
}

/** A one-line summary of the first few issues, for an error's message. */
export function summarise(issues: readonly ValidationIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => {
      const message = shorten(i.message, 200);
      return i.path ? `${shorten(i.path, 200)}: ${message}` : message;
    })
    .join('; ');
}

/**
 * Whether `value` holds more than `max` JSON values. Walks with an explicit stack and stops
 * at `max`, so it costs at most that much whatever the input's size or depth.
 */
export function hasMoreValuesThan(value: unknown, max: number): boolean {
  const stack: unknown[] = [value];
  let seen = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (++seen > max) return true;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      if (seen + stack.length + v.length > max) return true;
      for (const element of v) stack.push(element);
    } else {
      for (const key in v) {
        if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
        if (seen + stack.length >= max) return true;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}
