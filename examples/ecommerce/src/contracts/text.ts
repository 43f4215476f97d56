import { z } from 'zod';

/**
 * A string the shop stores in PostgreSQL: bounded, and without NUL, which PostgreSQL's text
 * type refuses (SQLSTATE 22021). Refusing it in the contract answers 400 naming the field,
 * where the database would have failed the unit of work with a 500.
 */
export function text(maxLength = 200) {
  return (
    z
      .string()
      .max(maxLength)
      // A pattern rather than a refinement, so the OpenAPI document shows clients the rule.
      // eslint-disable-next-line no-control-regex
      .regex(/^[^\u0000]*$/, 'must not contain a NUL character')
  );
}

/** An identifier: an order id, a SKU, a customer name. */
export const Id = text(100);
