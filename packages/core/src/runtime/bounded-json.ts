/**
 * JSON.stringify with a budget: the text when it is at most `maxChars` characters long,
 * else undefined, at a cost bounded by the budget rather than by the value. Written with
 * an explicit stack, so a value nested deeper than the call stack (an echo of attacker
 * input) ends in `undefined` instead of a RangeError, and a cycle runs into the budget. A
 * BigInt throws JSON.stringify's TypeError, as it is a bug rather than a matter of size.
 */
export function boundedJson(value: unknown, maxChars: number): string | undefined {
  const out: string[] = [];
  let length = 0;
  // Each step writes at least one character or skips one member; bounding both bounds the work.
  let steps = 2 * maxChars + 16;
  const stack: Array<{ value: unknown; key: string } | string> = [
    { value, key: '' },
  ];
  const write = (text: string): boolean => {
    out.push(text);
    length += text.length;
    return length <= maxChars;
  };
  while (stack.length > 0) {
    if (--steps < 0) return undefined;
    const item = stack.pop()!;
    if (typeof item === 'string') {
      if (!write(item)) return undefined;
      continue;
    }
    let v = item.value;
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
      v = (v as { toJSON(key: string): unknown }).toJSON(item.key);
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') {
      if (!write('null')) return undefined;
    } else if (v === null || typeof v !== 'object') {
      if (!write(JSON.stringify(v))) return undefined;
    } else if (Array.isArray(v)) {
      if (stack.length + v.length > maxChars) return undefined;
      stack.push(']');
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ value: v[i], key: String(i) });
        if (i > 0) stack.push(',');
      }
      if (!write('[')) return undefined;
    } else {
      const members: Array<{ value: unknown; key: string } | string> = [];
      for (const key in v) {
        if (--steps < 0) return undefined;
        if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
        const member = (v as Record<string, unknown>)[key];
        if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
        members.push(`${members.length > 0 ? ',' : ''}${JSON.stringify(key)}:`, { value: member, key });
      }
      stack.push('}');
      for (let i = members.length - 1; i >= 0; i--) stack.push(members[i]!);
      if (!write('{')) return undefined;
    }
  }
  return out.join('');
}
