import { ConfigError } from '@tandem/core';
import type { HealthChecksExposure } from './health.js';

/** The options of httpServer that bound a request, with their defaults applied. */
export interface ServerLimits {
  bodyLimit: number;
  maxJsonDepth: number;
  maxJsonContainers: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  maxTimeoutMs: number;
  closeTimeoutMs: number;
  authChallenge: string;
  healthChecks: HealthChecksExposure;
}

interface LimitOptions {
  bodyLimit?: number;
  maxJsonDepth?: number;
  maxJsonContainers?: number;
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  maxTimeoutMs?: number;
  closeTimeoutMs?: number;
  authChallenge?: string;
  healthChecks?: HealthChecksExposure;
  auth?: unknown;
}

export const DEFAULT_LIMITS = {
  bodyLimit: 1024 * 1024,
  maxJsonDepth: 256,
  maxJsonContainers: 100_000,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  maxTimeoutMs: 5 * 60_000,
  closeTimeoutMs: 10_000,
} as const;

function positive(name: keyof typeof DEFAULT_LIMITS, value: number | undefined): number {
  if (value === undefined) return DEFAULT_LIMITS[name];
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new ConfigError(
      `httpServer option ${name}: ${value} is not a positive whole number; leave it out for ${DEFAULT_LIMITS[name]}`,
    );
  return value;
}

export function serverLimits(options: LimitOptions): ServerLimits {
  const requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs);
  // node:http refuses a headers timeout longer than the request timeout.
  const headersTimeoutMs = Math.min(positive('headersTimeoutMs', options.headersTimeoutMs), requestTimeoutMs);
  const authChallenge = options.authChallenge ?? 'Bearer';
  if (authChallenge.trim() === '' || /[\r\n]/.test(authChallenge))
    throw new ConfigError(
      `httpServer option authChallenge: '${authChallenge}' is not a WWW-Authenticate challenge; e.g. 'Bearer realm="api"'`,
    );
  return {
    bodyLimit: positive('bodyLimit', options.bodyLimit),
    maxJsonDepth: positive('maxJsonDepth', options.maxJsonDepth),
    maxJsonContainers: positive('maxJsonContainers', options.maxJsonContainers),
    requestTimeoutMs,
    headersTimeoutMs,
    maxTimeoutMs: positive('maxTimeoutMs', options.maxTimeoutMs),
    closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs),
    authChallenge,
    healthChecks: options.healthChecks ?? (options.auth !== undefined ? 'hidden' : 'public'),
  };
}
