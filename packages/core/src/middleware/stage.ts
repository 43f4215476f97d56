import type { Invocation } from '../runtime/invocation.js';

/**
 * One run of a handler, from some point in its pipeline inward. The runtime's own steps
 * (metrics, validation, deadline) wrap the next step directly instead of going through
 * the middleware onion: they are on every request's path, and a direct call costs no
 * dispatch closure or index bookkeeping. User middleware is still composed with `compose`.
 */
export type Step = (inv: Invocation) => Promise<unknown>;
