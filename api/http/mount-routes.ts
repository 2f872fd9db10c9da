import type { IRouter, Request, Response } from "express";
import type { Actor } from "../../shared/auth/actor.js";
import { AppError } from "../../shared/errors/app-error.js";
import type { RateLimiter } from "../../shared/rate-limit/rate-limiter.js";
import { RATE_RULES } from "../../shared/rate-limit/rate-rules.js";
import type { AccessGuard } from "../../shared/runtime/services.js";
import { parseInput } from "../../shared/validation/parse.js";
import { Reply, type AuthMode, type RateClass, type RouteDefinition, type RouteGroup } from "./route.js";

/** Asked for `{ role }` routes: does this user hold the role now (not: did the token say so)? */
export interface RoleCheck {
  hasRole(actor: Actor, role: string): Promise<boolean>;
}

/** What every declared route needs besides its own services. */
export interface RouteKit {
  accessGuard: AccessGuard;
  rateLimiter: RateLimiter;
  roles: RoleCheck;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/** The acting user the route's auth mode asks for; throws 401/403. */
async function resolveActor(mode: AuthMode, req: Request, kit: RouteKit): Promise<Actor | undefined> {
  if (mode === "none") return undefined;
  // An optional token, when sent, must be valid; without one the request is anonymous.
  if (mode === "optional" && !req.headers.authorization) return undefined;
  const match = BEARER.exec(req.headers.authorization ?? "");
  if (!match) throw new AppError("UNAUTHENTICATED", "A bearer access token is required");
  const actor = await kit.accessGuard.authenticate(match[1]);
  req.log = req.log.child({ userId: actor.userId });
  return actor;
}

async function consumeRate(rate: RateClass, actor: Actor | undefined, req: Request, res: Response, kit: RouteKit): Promise<void> {
  if (rate === "none") return;
  const subject = actor ? `u:${actor.userId}` : `ip:${req.ip ?? "unknown"}`;
  const decision = await kit.rateLimiter.consume(`${rate}:${subject}`, RATE_RULES[rate]);
  res.setHeader("RateLimit-Remaining", String(decision.remaining));
}

/** Joins a group prefix and a route path the way Express matches them (`/me` + `/` is `/me`). */
export function joinPath(base: string, path: string): string {
  const joined = `${base}${path === "/" ? "" : path}`;
  return joined === "" ? "/" : joined;
}

/**
 * Mounts declared routes on an app or router, in their declared order (a
 * literal segment such as `/search` must come before `/:id`). Each request
 * runs: authentication (per the auth mode) → rate class → params → query →
 * body (each refused with a 400 naming the location and field) → role (so
 * bad input is a 400 for everyone, as the services' own checks answered) → the handler → the response (a returned body as JSON with the route's
 * status, a `Reply` with its own, nothing as 204; `raw` handlers answer themselves).
 */
export function mountRoutes(target: IRouter, base: string, groups: RouteGroup[], kit: RouteKit): void {
  for (const group of groups) {
    for (const route of group.routes) {
      target[route.method](joinPath(base, joinPath(group.prefix, route.path)), (req, res) => run(route, req, res, kit));
    }
  }
}

async function run(route: RouteDefinition, req: Request, res: Response, kit: RouteKit): Promise<void> {
  const actor = await resolveActor(route.auth, req, kit);
  await consumeRate(route.rate, actor, req, res, kit);
  const params = route.params ? parseInput(route.params, { ...req.params }, "path", "path") : undefined;
  const query = route.query ? parseInput(route.query, { ...req.query }, "query", "query") : undefined;
  const body = route.body ? parseInput(route.body, req.body, "body", "body") : undefined;
  if (typeof route.auth === "object" && !(await kit.roles.hasRole(actor!, route.auth.role))) {
    throw new AppError("FORBIDDEN", `Only holders of the ${route.auth.role} role may do this`);
  }
  const result = await route.handler({ params, query, body, actor, req, res });
  if (route.raw) return;
  if (result instanceof Reply) return void res.status(result.status).json(result.body);
  if (result === undefined) return void res.status(204).end();
  res.status(route.status ?? 200).json(result);
}
