import { core, type z } from 'zod';
import { InternalError, ValidationError } from '../errors/errors.js';
import type { Invocation } from '../runtime/invocation.js';
import type { Step } from './stage.js';
import {
  boundedDetails,
  defaultValidationLimits,
  hasMoreValuesThan,
  issuesOf,
  summarise,
  type ResolvedValidationLimits,
} from './validation-limits.js';

export { issuesOf, type ValidationIssue } from './validation-limits.js';

export type ParseResult = z.ZodSafeParseResult<unknown>;

/**
 * Parses synchronously when the schema allows it, which is most schemas and several times
 * cheaper than the async path; schemas with async refinements or transforms make zod
 * throw $ZodAsyncError from safeParse, and take the async path instead.
 */
export function safeParse(
  schema: z.ZodType,
  value: unknown,
  context?: z.core.ParseContext<z.core.$ZodIssue>,
): ParseResult | Promise<ParseResult> {
  try {
    return schema.safeParse(value, context);
  } catch (error) {
    if (error instanceof core.$ZodAsyncError) return schema.safeParseAsync(value, context);
    throw error;
  }
}

/**
 * zod's own flag (what its `validate()` sets) for stopping a container at its first bad
 * child: a failing parse then costs about as much as its first issue, while an input that
 * passes parses exactly as without it. A zod without the flag ignores it and parses in full.
 *
 * `async: false` is here because zod copies the context as `{ ...ctx, async: false }` on
 * every safeParse: with a context that lacks `async` (so the copy adds a property), the
 * parse of the bench's order took 2.0 µs on Node 20 against 0.44 µs with none or with this
 * one, which cost every command and event ~1.6 µs. safeParseAsync still sets its own.
 */
const STOP_EARLY = { abortEarly: true, async: false } as z.core.ParseContext<z.core.$ZodIssue>;

/**
 * zod recurses into the input as deep as a recursive schema (z.lazy, z.json) lets it, and
 * spreads a container's issues into its parent's as call arguments: input nested deeper
 * than the stack, or with a few hundred thousand issues under one member, overflows it.
 * That is the input's fault, not the service's: a 400, not a 500.
 */
function parseError(inv: Invocation, cause: unknown): unknown {
  if (!(cause instanceof RangeError)) return cause;
  const what = inv.contract.kind === 'event' ? 'data' : 'input';
  return new ValidationError(
    `${inv.contract.name}: ${what} is nested too deeply (or has too many problems) to validate`,
    {
      cause,
      details: { issues: [], truncated: true },
    },
  );
}

/** `parse()`, with a RangeError it throws or rejects with turned into the input's ValidationError. */
function parsing(inv: Invocation, parse: () => ParseResult | Promise<ParseResult>): ParseResult | Promise<ParseResult> {
  try {
    const parsed = parse();
    if (!(parsed instanceof Promise)) return parsed;
    return parsed.catch((error: unknown) => {
      throw parseError(inv, error);
    });
  } catch (error) {
    throw parseError(inv, error);
  }
}

function then<T, R>(value: T | Promise<T>, fn: (value: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/**
 * Parses every input against its contract (replacing it with the parsed value, so zod
 * defaults and transforms apply) before `next`. A first parse stops at the first bad
 * value; only an input small enough to be cheap is parsed again in full for the issues to
 * list (see ValidationLimits).
 */
export function validated(next: Step, limits: ResolvedValidationLimits = defaultValidationLimits): Step {
  return (inv) => {
    const contract = inv.contract;
    const schema = contract.kind === 'event' ? contract.data : contract.input;
    try {
      // Not through parsing(): every run comes here, and its closure would be one more allocation.
      let parsed: ParseResult | Promise<ParseResult>;
      try {
        parsed = safeParse(schema, inv.input, STOP_EARLY);
      } catch (error) {
        throw parseError(inv, error);
      }
      if (parsed instanceof Promise) {
        parsed = parsed.catch((error: unknown) => {
          throw parseError(inv, error);
        });
        return parsed.then((p) => afterInput(inv, schema, p, next, limits));
      }
      return afterInput(inv, schema, parsed, next, limits);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

function afterInput(
  inv: Invocation,
  schema: z.ZodType,
  first: ParseResult,
  next: Step,
  limits: ResolvedValidationLimits,
): Promise<unknown> {
  if (first.success) {
    inv.input = first.data;
    return next(inv);
  }
  if (hasMoreValuesThan(inv.input, limits.exhaustiveMaxValues)) return Promise.reject(invalid(inv, first, limits));
  let full: ParseResult | Promise<ParseResult>;
  try {
    full = parsing(inv, () => safeParse(schema, inv.input));
  } catch (error) {
    return Promise.reject(error);
  }
  if (full instanceof Promise) return full.then((p) => Promise.reject(invalid(inv, first, limits, p)));
  return Promise.reject(invalid(inv, first, limits, full));
}

/**
 * The error for an input that failed: from the full parse's issues when there was one, else
 * (or if a refinement that is not a function of its input passed the second time) from the
 * first parse's, marked truncated.
 */
function invalid(inv: Invocation, first: ParseResult, limits: ResolvedValidationLimits, full?: ParseResult): Error {
  const details =
    full && !full.success
      ? boundedDetails(full.error, limits, false)
      : boundedDetails((first as z.ZodSafeParseError<unknown>).error, limits, true);
  const what = inv.contract.kind === 'event' ? 'data' : 'input';
  return new ValidationError(`${inv.contract.name}: invalid ${what}: ${summarise(details.issues)}`, { details });
}

/**
 * Checks what a sync handler returns against its contract's output: a mismatch is the
 * handler's bug, reported as an internal error. It runs inside the unit of work, so a run
 * whose output is wrong commits nothing and sends nothing.
 */
export function outputChecked(next: Step): Step {
  return (inv) => {
    const contract = inv.contract;
    if (contract.kind === 'event') return next(inv);
    return next(inv).then((result) =>
      then(safeParse(contract.output, result), (output) => {
        if (!output.success) {
          throw new InternalError(
            `${inv.registration.handlerName} returned output that does not match '${contract.name}': ${summarise(issuesOf(output.error, 3))}`,
          );
        }
        return output.data;
      }),
    );
  };
}
