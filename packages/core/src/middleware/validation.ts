import type { z } from 'zod';
import { InternalError, ValidationError } from '../errors/errors.js';
import type { Invocation } from '../runtime/invocation.js';
import type { Middleware } from './compose.js';

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

/**
 * Parses every input against its contract (replacing it with the parsed value, so zod
 * defaults and transforms apply) and, when `checkOutput` is on, checks what sync handlers
 * return: a mismatch there is the handler's bug, reported as an internal error.
 */
export function validation(options: { checkOutput: boolean }): Middleware<Invocation> {
  return async (inv, next) => {
    const contract = inv.contract;
    const schema = contract.kind === 'event' ? contract.data : contract.input;
    const parsed = await schema.safeParseAsync(inv.input);
    if (!parsed.success) {
      const issues = issuesOf(parsed.error);
      const what = contract.kind === 'event' ? 'data' : 'input';
      throw new ValidationError(`${contract.name}: invalid ${what}: ${summarise(issues)}`, { details: { issues } });
    }
    inv.input = parsed.data;
    const result = await next();
    if (!options.checkOutput || contract.kind === 'event') return result;
    const output = await contract.output.safeParseAsync(result);
    if (!output.success) {
      throw new InternalError(
        `${inv.registration.handlerName} returned output that does not match '${contract.name}': ${summarise(issuesOf(output.error))}`,
      );
    }
    return output.data;
  };
}
