import type { Request, Response } from "express";
import type { z } from "zod";
import type { Actor } from "../../shared/auth/actor.js";
import type { RequestMeta } from "../../shared/auth/user.types.js";
import type { RateRuleName } from "../../shared/rate-limit/rate-rules.js";

/** `all`: a protocol endpoint (tus) that answers every method itself; documented under each. */
export type HttpMethod = "get" | "post" | "put" | "patch" | "delete" | "all";

/**
 * Who may call a route: anyone (a token sent is ignored), anyone with a valid
 * token when one is sent, signed-in users, or holders of a role (checked in
 * PostgreSQL on every call, so a revoked role stops working at once).
 */
export type AuthMode = "none" | "optional" | "required" | { role: string };

/** The rate class a route is budgeted under (per user when signed in, else per IP), or none. */
export type RateClass = RateRuleName | "none";

type ActorOf<A extends AuthMode> = A extends "none" ? undefined : A extends "optional" ? Actor | undefined : Actor;
type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives: each part parsed by its own schema, and the acting user. */
export interface RouteInput<P, Q, B, A extends AuthMode> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
  actor: ActorOf<A>;
  /** For what no schema describes: headers, the client address (see `requestMeta`). */
  req: Request;
  /** For response headers; only `raw` routes write the response themselves. */
  res: Response;
}

/** A status other than the route's own, with a JSON body (`reply(201, {...})`). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export const reply = (status: number, body: unknown): Reply => new Reply(status, body);

export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined, A extends AuthMode> {
  method: HttpMethod;
  /** Express 5 syntax, relative to the group's prefix: `/:id`, `/:id/hls/:grant/*file`. */
  path: string;
  /** One line for the OpenAPI document. */
  summary: string;
  auth: A;
  rate: RateClass;
  /** Path parameters (a strict object). */
  params?: P;
  /** Query string; undeclared means any query string is ignored. */
  query?: Q;
  /** JSON body; undeclared means any body is ignored. `.optional()` makes the body itself optional. */
  body?: B;
  /** Status of a returned body (default 200). A handler returning nothing answers 204. */
  status?: number;
  /** The handler writes the response itself (streams, protocol endpoints); `produces` names its content type. */
  raw?: boolean;
  produces?: string;
  handler(input: RouteInput<P, Q, B, A>): unknown;
}

/** A declared route with its types erased, as the mounting helper and the OpenAPI generator see it. */
export interface RouteDefinition {
  method: HttpMethod;
  path: string;
  summary: string;
  auth: AuthMode;
  rate: RateClass;
  params?: z.ZodType | undefined;
  query?: z.ZodType | undefined;
  body?: z.ZodType | undefined;
  status?: number | undefined;
  raw?: boolean | undefined;
  produces?: string | undefined;
  handler(input: { params: unknown; query: unknown; body: unknown; actor: Actor | undefined; req: Request; res: Response }): unknown;
}

/** Declares one route; the handler's input is typed from the schemas and the auth mode. */
export function defineRoute<
  A extends AuthMode,
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B, A>): RouteDefinition {
  return spec as unknown as RouteDefinition;
}

/** The routes of one resource, mounted under `prefix` (itself under the group's base, `/api` for most). */
export interface RouteGroup {
  prefix: string;
  /** OpenAPI tag. */
  tag: string;
  routes: RouteDefinition[];
}

/** Where the request came from, for sessions and the audit log. */
export const requestMeta = (req: Request): RequestMeta => ({ ip: req.ip, userAgent: req.get("user-agent") });
