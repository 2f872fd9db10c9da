import { AccessTokens, type AccessClaims } from "../auth/access-token.js";
import { MaintenanceService, type MaintenanceTask } from "../maintenance/maintenance.service.js";
import { RateLimiter } from "../rate-limit/rate-limiter.js";
import type { Platform } from "./platform.js";

/** Turns a bearer token into the acting user, or throws. */
export interface AccessGuard {
  authenticate(token: unknown): Promise<AccessClaims>;
}

/**
 * The composition root of the domain: every service, built once per process
 * from the platform's store clients. Transports receive this object.
 */
export interface Services {
  tokens: AccessTokens;
  accessGuard: AccessGuard;
  maintenance: MaintenanceService;
  rateLimiter: RateLimiter;
}

export function createServices(platform: Platform): Services {
  const tokens = new AccessTokens(platform.config);
  const maintenanceTasks: MaintenanceTask[] = [];
  return {
    tokens,
    accessGuard: { authenticate: (token) => tokens.verify(token) },
    maintenance: new MaintenanceService(maintenanceTasks, platform.logger),
    rateLimiter: new RateLimiter(platform.redis),
  };
}
