import type { RequestHandler, Response } from "express";
import type { AccessClaims } from "../../shared/auth/access-token.js";
import { AppError } from "../../shared/errors/app-error.js";
import type { AccessGuard } from "../../shared/runtime/services.js";

/** Requires a valid bearer access token; the acting user lands in `res.locals.auth`. */
export function authenticate(guard: AccessGuard): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (!match) return next(new AppError("UNAUTHENTICATED", "A bearer access token is required"));
    res.locals.auth = await guard.authenticate(match[1]);
    req.log = req.log.child({ userId: (res.locals.auth as AccessClaims).userId });
    next();
  };
}

/** The acting user of an authenticated request. */
export function actor(res: Response): AccessClaims {
  const auth = res.locals.auth as AccessClaims | undefined;
  if (!auth) throw new AppError("UNAUTHENTICATED", "A bearer access token is required");
  return auth;
}
