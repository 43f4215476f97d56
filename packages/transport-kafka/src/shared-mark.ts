/**
 * A partition whose records go out several at once (crash-guard.ts): how far its committed
 * mark reaches (`upto`) and the furthest offset whose handler started. Every shared delivery
 * asks it, so offsets are compared as text (Kafka's decimal form: no sign, no leading zeros)
 * rather than parsed: no BigInt made per delivery.
 */
export class SharedMark {
  readonly kind = 'shared';
  /** The commit under way that extends this partition's mark. */
  extending: Promise<void> | undefined = undefined;
  private startedText = '-1';
  private uptoValue = -1n;
  private uptoText = '-1';
  /** Past this offset a starting handler extends the mark ahead of need. */
  private nearText = '-1';

  constructor(
    upto: bigint,
    private readonly ahead: bigint,
  ) {
    this.reach(upto);
  }

  get upto(): bigint {
    return this.uptoValue;
  }

  /** The furthest offset whose handler started; -1 before the first. */
  get started(): bigint {
    return BigInt(this.startedText);
  }

  /** The committed mark reaches `upto` now, if that is further than before. */
  raise(upto: bigint): void {
    if (upto > this.uptoValue) this.reach(upto);
  }

  /** A handler starts at `offset`. */
  start(offset: string): void {
    if (above(offset, this.startedText)) this.startedText = offset;
  }

  /** True when a handler at `offset` is close enough to the mark's end to extend it. */
  near(offset: string): boolean {
    return above(offset, this.nearText);
  }

  /** True when the committed mark covers a handler at `offset`. */
  covers(offset: string): boolean {
    return !above(offset, this.uptoText);
  }

  private reach(upto: bigint): void {
    this.uptoValue = upto;
    this.uptoText = upto.toString();
    this.nearText = (upto - this.ahead).toString();
  }
}

/** `offset` (a record's, never negative) > `than` (any integer as text). */
export function above(offset: string, than: string): boolean {
  if (than.charCodeAt(0) === 45 /* '-' */) return true;
  return offset.length === than.length ? offset > than : offset.length > than.length;
}
