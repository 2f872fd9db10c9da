import type { RequestHandler } from "express";
import type { AccessClaims } from "../../shared/auth/access-token.js";
import type { RateLimiter } from "../../shared/rate-limit/rate-limiter.js";
import { RATE_RULES, type RateRuleName } from "../../shared/rate-limit/rate-rules.js";

/**
 * Limits a route class per user when authenticated, else per IP. Place it
 * after `authenticate` on protected routes. Refusals become 429 + Retry-After.
 */
export function rateLimit(limiter: RateLimiter, ruleName: RateRuleName): RequestHandler {
  const rule = RATE_RULES[ruleName];
  return async (req, res, next) => {
    const auth = res.locals.auth as AccessClaims | undefined;
    const subject = auth ? `u:${auth.userId}` : `ip:${req.ip ?? "unknown"}`;
    const decision = await limiter.consume(`${ruleName}:${subject}`, rule);
    res.setHeader("RateLimit-Remaining", String(decision.remaining));
    next();
  };
}
