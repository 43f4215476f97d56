/**
 * JSON.stringify with a budget: the same text when it is at most `maxChars` characters long
 * and nested at most `maxDepth` levels, else undefined, at a cost bounded by the budget
 * rather than by the value. Written with an explicit stack, so a value nested deeper than
 * the call stack (an echo of attacker input) ends in `undefined` instead of a RangeError,
 * and a cycle runs into the budget. The depth bound keeps what passes safe to hand to
 * JSON.stringify itself later, which overflows at about 4,000 levels. A BigInt throws
 * JSON.stringify's TypeError, as it is a bug rather than a matter of size.
 */
export function boundedJson(value: unknown, maxChars: number, maxDepth = 1_000): string | undefined {
  const out: string[] = [];
  let length = 0;
  // Each step writes at least one character or skips one member; bounding both bounds the work.
  let steps = 2 * maxChars + 16;
  const stack: Array<Pending | string> = [{ value: jsonValue(value, ''), depth: 0 }];
  while (stack.length > 0) {
    if (--steps < 0) return undefined;
    const item = stack.pop()!;
    let text: string;
    if (typeof item === 'string') text = item;
    else {
      const v = item.value;
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') text = 'null';
      else if (v === null || typeof v !== 'object') text = JSON.stringify(v);
      else if (item.depth >= maxDepth) return undefined;
      else if (Array.isArray(v)) {
        if (stack.length + v.length > maxChars) return undefined;
        stack.push(']');
        for (let i = v.length - 1; i >= 0; i--) {
          stack.push({ value: jsonValue(v[i], String(i)), depth: item.depth + 1 });
          if (i > 0) stack.push(',');
        }
        text = '[';
      } else {
        const members: Array<Pending | string> = [];
        for (const key in v) {
          if (--steps < 0) return undefined;
          if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
          const member = jsonValue((v as Record<string, unknown>)[key], key);
          if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
          members.push(`${members.length > 0 ? ',' : ''}${JSON.stringify(key)}:`, {
            value: member,
            depth: item.depth + 1,
          });
        }
        stack.push('}');
        for (let i = members.length - 1; i >= 0; i--) stack.push(members[i]!);
        text = '{';
      }
    }
    out.push(text);
    length += text.length;
    if (length > maxChars) return undefined;
  }
  return out.join('');
}

interface Pending {
  /** Already through `toJSON` and unboxed. */
  value: unknown;
  depth: number;
}

/** What JSON.stringify writes for `value` as member `key`: its toJSON, and boxed primitives unboxed. */
function jsonValue(value: unknown, key: string): unknown {
  let v = value;
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
    v = (v as { toJSON(key: string): unknown }).toJSON(key);
  if (v instanceof Number || v instanceof String || v instanceof Boolean) v = v.valueOf();
  return v;
}
