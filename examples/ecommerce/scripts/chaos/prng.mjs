// A seeded PRNG (mulberry32): the same seed gives the same orders and the same fault
// schedule, so a failing run can be replayed with its seed.

/** @param {number} seed @returns {() => number} uniform in [0, 1) */
export function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number in [low, high]. */
export function between(random, low, high) {
  return low + Math.floor(random() * (high - low + 1));
}

export function pick(random, list) {
  return list[Math.floor(random() * list.length)];
}

/** A shuffled copy (Fisher-Yates). */
export function shuffled(random, list) {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
