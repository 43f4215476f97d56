import { core, type z } from 'zod';
import { InternalError, ValidationError } from '../errors/errors.js';
import type { Invocation } from '../runtime/invocation.js';
import type { Step } from './stage.js';

export interface ValidationIssue {
  path: string;
  message: string;
  code: string;
}

export function issuesOf(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
    code: issue.code,
  }));
}

function summarise(issues: ValidationIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
}

export type ParseResult = z.ZodSafeParseResult<unknown>;

/**
 * Parses synchronously when the schema allows it, which is most schemas and several times
 * cheaper than the async path; schemas with async refinements or transforms make zod
 * throw $ZodAsyncError from safeParse, and take the async path instead.
 */
export function safeParse(schema: z.ZodType, value: unknown): ParseResult | Promise<ParseResult> {
  try {
    return schema.safeParse(value);
  } catch (error) {
    if (error instanceof core.$ZodAsyncError) return schema.safeParseAsync(value);
    throw error;
  }
}

function then<T, R>(value: T | Promise<T>, fn: (value: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/**
 * Parses every input against its contract (replacing it with the parsed value, so zod
 * defaults and transforms apply) before `next`.
 */
export function validated(next: Step): Step {
  return (inv) => {
    const contract = inv.contract;
    const schema = contract.kind === 'event' ? contract.data : contract.input;
    const parsed = safeParse(schema, inv.input);
    if (parsed instanceof Promise) return parsed.then((p) => afterInput(inv, p, next));
    try {
      return afterInput(inv, parsed, next);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

function afterInput(inv: Invocation, parsed: ParseResult, next: Step): Promise<unknown> {
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    const what = inv.contract.kind === 'event' ? 'data' : 'input';
    throw new ValidationError(`${inv.contract.name}: invalid ${what}: ${summarise(issues)}`, { details: { issues } });
  }
  inv.input = parsed.data;
  return next(inv);
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
            `${inv.registration.handlerName} returned output that does not match '${contract.name}': ${summarise(issuesOf(output.error))}`,
          );
        }
        return output.data;
      }),
    );
  };
}
