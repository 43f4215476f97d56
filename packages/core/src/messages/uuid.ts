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
/** Where each of the 16 bytes' two digits go in the 36-character text. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const DASH = 0x2d;
const text = Buffer.alloc(36);
text[8] = text[13] = text[18] = text[23] = DASH;
const bytes = new Uint8Array(16);

let lastMs = 0;
let sequence = 0;

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
  bytes[0] = ms / 0x10000000000;
  bytes[1] = ms / 0x100000000;
  bytes[2] = ms >>> 24;
  bytes[3] = ms >>> 16;
  bytes[4] = ms >>> 8;
  bytes[5] = ms;
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence;
  bytes[8] = 0x80 | (pool[r]! & 0x3f);
  for (let i = 9; i < 16; i++) bytes[i] = pool[r + i - 8]!;
  // Written as character codes and decoded once: concatenating 17 two-character strings
  // builds a rope that every later read flattens, which cost twice as much.
  for (let i = 0; i < 16; i++) {
    const b = bytes[i]!;
    const to = AT[i]!;
    text[to] = HEX_HIGH[b]!;
    text[to + 1] = HEX_LOW[b]!;
  }
  return text.toString('latin1', 0, 36);
}
