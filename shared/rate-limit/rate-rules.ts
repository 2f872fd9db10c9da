import type { RateRule } from "./rate-limiter.js";

/**
 * Budgets by class of route or event. Each is applied per user when the
 * caller is authenticated and per IP otherwise (and both where listed).
 */
export const RATE_RULES = {
  /** Login, register, password reset, 2FA: per IP. */
  authIp: { limit: 30, windowSeconds: 60 },
  /** Anything that sends e-mail or SMS, per target address. */
  outboundMessage: { limit: 5, windowSeconds: 3600 },
  /** Ordinary reads. */
  read: { limit: 600, windowSeconds: 60 },
  /** Ordinary writes. */
  write: { limit: 120, windowSeconds: 60 },
  /** Search endpoints (expensive). */
  search: { limit: 60, windowSeconds: 60 },
  /** All events of one socket. */
  socketEvents: { limit: 300, windowSeconds: 10 },
  /** Message sends of one user across all devices. */
  messageSend: { limit: 60, windowSeconds: 10 },
} as const satisfies Record<string, RateRule>;

export type RateRuleName = keyof typeof RATE_RULES;
