/**
 * JSON with object keys in sorted order, so that one value has one text whatever order its
 * keys came in (an idempotency fingerprint must not tell `{a,b}` from `{b,a}`).
 *
 * It runs on every keyed command's input, up to the body limit, in one turn of the event
 * loop, so the usual case goes through JSON.stringify with a replacer that hands over a
 * sorted copy of each object whose keys are out of order. Where that could differ from the
 * definition, the replacer gives up and the value is written by `stackEncoded`: an object
 * with integer-like keys (JavaScript enumerates those first, so a sorted copy would not stay
 * sorted), a boxed primitive (JSON.stringify unwraps it; the definition writes its own keys),
 * and nesting deeper than JSON.stringify's recursion allows. A version that wrote every
 * value through the stack took 16 times JSON.stringify's time: about 80 ms of CPU for a
 * 1 MiB body of small objects, long enough to stall every other request.
 *
 * For every value JSON can carry, the text is what fingerprints stored by earlier versions
 * were made of, byte for byte: a changed encoding would answer a client's retry across an
 * upgrade with 422.
 */
export function canonicalJson(value: unknown): string {
  try {
    return JSON.stringify(value, sortedMembers) ?? 'null';
  } catch (error) {
    if (error === notSortable || error instanceof RangeError) return stackEncoded(value);
    throw error;
  }
}

const notSortable = new Error('canonicalJson: this value is written by the stack encoder');
const integerLike = /^(?:0|[1-9][0-9]*)$/;

/** JSON.stringify's replacer: bigints as `"<digits>n"`, objects with their keys sorted. */
function sortedMembers(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  if (v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt) throw notSortable;
  const keys = Object.keys(v);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return v;
  keys.sort();
  // A prototype-less copy, so a member named __proto__ stays a member.
  const copy = Object.create(null) as Record<string, unknown>;
  for (const k of keys) {
    if (integerLike.test(k)) throw notSortable;
    copy[k] = (v as Record<string, unknown>)[k];
  }
  return copy;
}

/**
 * The same text written with an explicit stack of open containers rather than recursion:
 * input can be nested deeper than the call stack allows, and a fingerprint must not be the
 * thing that overflows it.
 */
function stackEncoded(value: unknown): string {
  const top = jsonValue(value);
  const first = scalarText(top);
  if (first !== undefined) return first;

  let out = '';
  const stack: Frame[] = [];
  let frame = open(top as object);
  out += frame.keys === undefined ? '[' : '{';
  for (;;) {
    let next: unknown;
    let found = false;
    if (frame.keys === undefined) {
      const list = frame.container as unknown[];
      if (frame.index < list.length) {
        if (frame.index > 0) out += ',';
        next = list[frame.index++];
        found = true;
      }
    } else {
      const record = frame.container as Record<string, unknown>;
      while (frame.index < frame.keys.length) {
        const key = frame.keys[frame.index++]!;
        const field = record[key];
        if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
        out += `${frame.written ? ',' : ''}${JSON.stringify(key)}:`;
        frame.written = true;
        next = field;
        found = true;
        break;
      }
    }
    if (!found) {
      out += frame.keys === undefined ? ']' : '}';
      const parent = stack.pop();
      if (parent === undefined) return out;
      frame = parent;
      continue;
    }
    const v = jsonValue(next);
    const text = scalarText(v);
    if (text !== undefined) {
      out += text;
      continue;
    }
    stack.push(frame);
    frame = open(v as object);
    out += frame.keys === undefined ? '[' : '{';
  }
}

/** An array or object being written: where its writing has got to. */
interface Frame {
  readonly container: object;
  /** The object's keys in sorted order; undefined for an array. */
  readonly keys: string[] | undefined;
  index: number;
  /** Whether an object member was written yet (members left out need no comma). */
  written: boolean;
}

function open(container: object): Frame {
  if (Array.isArray(container)) return { container, keys: undefined, index: 0, written: false };
  const keys = Object.keys(container);
  // Most objects arrive with their keys in order (or have one key): sorting is skipped then.
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  return { container, keys, index: 0, written: false };
}

/** A value as JSON sees it: what its toJSON returns, if it has one. */
function jsonValue(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
    return (v as { toJSON(): unknown }).toJSON();
  return v;
}

/** The text of a value that is not an array or object; undefined for one that is. */
function scalarText(v: unknown): string | undefined {
  if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') return 'null';
  if (typeof v === 'bigint') return JSON.stringify(`${v}n`);
  if (typeof v !== 'object') return JSON.stringify(v);
  return undefined;
}
