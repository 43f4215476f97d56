import { randomFillSync } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48-bit millisecond time, then random bits. Ids sort by creation
 * time, which keeps outbox and inbox indexes append-mostly. Monotonic within one process:
 * two ids in the same millisecond still sort in creation order.
 *
 * Every request and message gets one, so random bytes come from a pool filled 4 KiB at a
 * time (one syscall per ~400 ids instead of two per id).
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

function take(n: number): number {
  if (poolOffset + n > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += n;
  return at;
}

/** Two hex digits per byte value, as the character codes to write. */
const HEX_HIGH = new Uint8Array(256);
const HEX_LOW = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  const hex = i.toString(16).padStart(2, '0');
  HEX_HIGH[i] = hex.charCodeAt(0);
  HEX_LOW[i] = hex.charCodeAt(1);
}
const DASH = 0x2d;
const text = Buffer.alloc(36);
text[8] = text[13] = text[18] = text[23] = DASH;

/** Writes `byte`'s two hex digits at `at`. */
function put(at: number, byte: number): void {
  const b = byte & 0xff;
  text[at] = HEX_HIGH[b]!;
  text[at + 1] = HEX_LOW[b]!;
}

let lastMs = 0;
let sequence = 0;

/** A time-ordered UUID (version 7), as used for message ids. */
export function uuidv7(now: number = Date.now()): string {
  let ms = now;
  if (ms <= lastMs) {
    ms = lastMs;
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) ms = ++lastMs;
  } else {
    lastMs = ms;
    const at = take(2);
    sequence = ((pool[at]! << 8) | pool[at + 1]!) & 0x7ff;
  }
  const r = take(8);
  // 48-bit big-endian milliseconds: divided, because bitwise operators work on 32 bits.
  put(0, ms / 0x10000000000);
  put(2, ms / 0x100000000);
  put(4, ms >>> 24);
  put(6, ms >>> 16);
  put(9, ms >>> 8);
  put(11, ms);
  put(14, 0x70 | (sequence >> 8));
  put(16, sequence);
  put(19, 0x80 | (pool[r]! & 0x3f));
  put(21, pool[r + 1]!);
  for (let i = 2; i < 8; i++) put(20 + 2 * i, pool[r + i]!);
  // Written as character codes and decoded once: concatenating 17 two-character strings
  // builds a rope that every later read flattens, which cost twice as much.
  return text.toString('latin1', 0, 36);
}
