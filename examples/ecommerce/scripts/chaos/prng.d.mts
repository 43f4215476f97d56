/** A seeded PRNG (mulberry32): uniform numbers in [0, 1). */
export function prng(seed: number): () => number;
export function between(random: () => number, low: number, high: number): number;
export function pick<T>(random: () => number, list: readonly T[]): T;
export function shuffled<T>(random: () => number, list: readonly T[]): T[];
