/**
 * Header values as text, reusing the string of a value that repeats. Most of a record's
 * headers carry what the record before carried too (`ce_type`, `ce_source`, `ce_dataschema`,
 * `content-type`, the key's `ce_subject`, the time within a millisecond), and a consumer keeps
 * thousands of fetched records waiting for their handlers: one string per header per record
 * would be made, measured by the GC while the records wait, and thrown away. So each header
 * name remembers its last value's bytes (a copy: kafkajs's Buffers are views of the whole
 * fetch response) and text, and a value with the same bytes gets the same string.
 *
 * A header whose value changes with every record (`ce_id`, `traceparent`) gains nothing from
 * this and would pay a copy per record: it stops being remembered once misses outweigh hits.
 */

/** Longest value remembered: beyond it, comparing costs about as much as decoding. */
const MAX_REMEMBERED_BYTES = 256;
/** Score of a header whose value stops being remembered (each miss costs MISS_COST, each hit gives one back). */
const GIVE_UP_SCORE = -64;
const MISS_COST = 4;
const MAX_SCORE = 64;

/** One header name's last value; see `textOf`. */
export class HeaderText {
  private bytes: Buffer | undefined = undefined;
  private text = '';
  private score: number;

  /** `remember` false: a name past the cache's bound, decoded each time as it comes. */
  constructor(remember = true) {
    this.score = remember ? 0 : GIVE_UP_SCORE;
  }

  /** The value as UTF-8 text: the remembered string when the bytes are the last value's. */
  textOf(value: Buffer): string {
    const last = this.bytes;
    if (last !== undefined) {
      if (sameBytes(last, value)) {
        if (this.score < MAX_SCORE) this.score++;
        return this.text;
      }
      this.score -= MISS_COST;
    } else if (this.score <= GIVE_UP_SCORE) return value.toString('utf8');
    const text = value.toString('utf8');
    if (this.score <= GIVE_UP_SCORE || value.length > MAX_REMEMBERED_BYTES) {
      this.bytes = undefined;
      return text;
    }
    this.bytes = Buffer.from(value);
    this.text = text;
    return text;
  }
}

/** Compared from the end: values that differ (ids, times) usually differ in their last bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let i = a.length;
  if (i !== b.length) return false;
  while (i-- > 0) if (a[i] !== b[i]) return false;
  return true;
}
