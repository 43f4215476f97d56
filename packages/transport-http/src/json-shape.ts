import { MalformedRequestError } from '@tandem/core';

/** How deep and how many objects and arrays a request's JSON may hold. */
export interface JsonShapeLimits {
  maxJsonDepth: number;
  maxJsonContainers: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Refuses JSON text nested deeper than `maxJsonDepth` or holding more than
 * `maxJsonContainers` objects and arrays, before JSON.parse sees it. Within the body limit
 * those two are what make parsing and everything after it expensive: 1 MiB of `[[[…]]]` or
 * of `{},{},…` takes JSON.parse 100-250 ms of one thread, and every later walk over the value
 * (validation, the idempotency fingerprint, a problem's details) pays for the depth again.
 * Strings and numbers cost little, so they are not counted. One pass over the bytes, about
 * 3 ms per MiB; malformed JSON is JSON.parse's to report, so brackets are only counted.
 */
export function checkJsonShape(bytes: Uint8Array, limits: JsonShapeLimits): void {
  let depth = 0;
  let containers = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === QUOTE) {
      // Skip the string: a quote ends it unless escaped. Multi-byte UTF-8 never contains 0x22 or 0x5c.
      for (i++; i < bytes.length; i++) {
        const inner = bytes[i]!;
        if (inner === BACKSLASH) i++;
        else if (inner === QUOTE) break;
      }
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth++;
      containers++;
      if (depth > limits.maxJsonDepth) {
        throw new MalformedRequestError(
          `request body nests deeper than ${limits.maxJsonDepth} levels (httpServer option maxJsonDepth)`,
          { details: { limit: 'maxJsonDepth', maxJsonDepth: limits.maxJsonDepth } },
        );
      }
      if (containers > limits.maxJsonContainers) {
        throw new MalformedRequestError(
          `request body holds more than ${limits.maxJsonContainers} objects and arrays (httpServer option maxJsonContainers)`,
          { details: { limit: 'maxJsonContainers', maxJsonContainers: limits.maxJsonContainers } },
        );
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
}
