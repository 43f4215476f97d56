/**
 * JSON with object keys in sorted order, so that one value has one text whatever order its
 * keys came in (an idempotency fingerprint must not tell `{a,b}` from `{b,a}`). Written
 * with an explicit stack rather than recursion: input can be nested deeper than the call
 * stack allows, and a fingerprint must not be the thing that overflows it.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Each entry is a value still to write, or a literal piece of punctuation.
  const stack: Array<{ value: unknown } | string> = [{ value }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    let v = item.value;
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
      v = (v as { toJSON(): unknown }).toJSON();
    if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') out.push('null');
    else if (typeof v === 'bigint') out.push(JSON.stringify(`${v}n`));
    else if (typeof v !== 'object') out.push(JSON.stringify(v));
    else if (Array.isArray(v)) {
      const pieces: Array<{ value: unknown } | string> = ['['];
      v.forEach((element, i) => {
        if (i > 0) pieces.push(',');
        pieces.push({ value: element });
      });
      pieces.push(']');
      for (let i = pieces.length - 1; i >= 0; i--) stack.push(pieces[i]!);
    } else {
      const entries = Object.keys(v)
        .filter((k) => {
          const field = (v as Record<string, unknown>)[k];
          return field !== undefined && typeof field !== 'function' && typeof field !== 'symbol';
        })
        .sort();
      const pieces: Array<{ value: unknown } | string> = ['{'];
      entries.forEach((k, i) => {
        pieces.push(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`, { value: (v as Record<string, unknown>)[k] });
      });
      pieces.push('}');
      for (let i = pieces.length - 1; i >= 0; i--) stack.push(pieces[i]!);
    }
  }
  return out.join('');
}
