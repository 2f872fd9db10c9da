import { Router, type Request } from "express";
import {
  changePasswordSchema,
  emptyBodySchema,
  forgotPasswordSchema,
  loginSchema,
  refreshSchema,
  registerSchema,
  resetPasswordSchema,
  sessionIdParams,
  tokenSchema,
  twoFactorDisableSchema,
  twoFactorEnableSchema,
  twoFactorLoginSchema,
  twoFactorSetupSchema,
} from "../../shared/auth/auth.schema.js";
import type { RequestMeta } from "../../shared/auth/user.types.js";
import { parseInput } from "../../shared/validation/parse.js";
import type { ApiDeps } from "../app.js";
import { actor, authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";

/** Where the request came from, for sessions and the audit log. */
export const requestMeta = (req: Request): RequestMeta => ({ ip: req.ip, userAgent: req.get("user-agent") });

/**
 * /api/auth: registration, sign-in (with the 2FA step), token refresh,
 * sessions, e-mail verification, passwords and two-factor enrolment.
 * Anonymous routes are limited per IP (`authIp`), signed-in ones per user.
 */
export function authRoutes({ services }: ApiDeps): Router {
  const router = Router();
  const auth = authenticate(services.accessGuard);
  const perIp = rateLimit(services.rateLimiter, "authIp");
  const read = rateLimit(services.rateLimiter, "read");
  const write = rateLimit(services.rateLimiter, "write");
  const { auth: accounts, sessions, passwords, emailVerification, twoFactor } = services;

  router.post("/register", perIp, async (req, res) => {
    const body = parseInput(registerSchema, req.body, "registration");
    res.status(201).json(await accounts.register(body, requestMeta(req)));
  });

  router.post("/login", perIp, async (req, res) => {
    const body = parseInput(loginSchema, req.body, "sign-in");
    res.json(await accounts.login(body, requestMeta(req)));
  });

  router.post("/login/2fa", perIp, async (req, res) => {
    const body = parseInput(twoFactorLoginSchema, req.body, "second factor");
    res.json(await accounts.loginSecondFactor(body, requestMeta(req)));
  });

  router.post("/refresh", perIp, async (req, res) => {
    const { refreshToken } = parseInput(refreshSchema, req.body, "refresh");
    res.json(await sessions.refresh(refreshToken, requestMeta(req)));
  });

  router.post("/logout", auth, write, async (req, res) => {
    await sessions.logout(actor(res), requestMeta(req));
    res.status(204).end();
  });

  router.get("/sessions", auth, read, async (_req, res) => {
    res.json({ sessions: await sessions.list(actor(res)) });
  });

  router.delete("/sessions/:id", auth, write, async (req, res) => {
    const { id } = parseInput(sessionIdParams, req.params, "path");
    await sessions.revoke(actor(res), id, requestMeta(req));
    res.status(204).end();
  });

  router.delete("/sessions", auth, write, async (req, res) => {
    res.json(await sessions.revokeOthers(actor(res), requestMeta(req)));
  });

  router.post("/verify-email", perIp, async (req, res) => {
    const { token } = parseInput(tokenSchema, req.body, "verification");
    res.json(await emailVerification.verify(token, requestMeta(req)));
  });

  router.post("/verify-email/resend", auth, write, async (req, res) => {
    parseInput(emptyBodySchema, req.body ?? {}, "body");
    res.status(202).json(await emailVerification.resend(actor(res), requestMeta(req)));
  });

  router.post("/password/forgot", perIp, async (req, res) => {
    const body = parseInput(forgotPasswordSchema, req.body, "password reset request");
    res.status(202).json(await passwords.forgot(body, requestMeta(req)));
  });

  router.post("/password/reset", perIp, async (req, res) => {
    const body = parseInput(resetPasswordSchema, req.body, "password reset");
    res.json(await passwords.reset(body, requestMeta(req)));
  });

  router.post("/password/change", auth, write, async (req, res) => {
    const body = parseInput(changePasswordSchema, req.body, "password change");
    res.json(await passwords.change(actor(res), body, requestMeta(req)));
  });

  router.post("/2fa/setup", auth, write, async (req, res) => {
    const { password } = parseInput(twoFactorSetupSchema, req.body, "2FA setup");
    res.json(await twoFactor.setup(actor(res), password, requestMeta(req)));
  });

  router.post("/2fa/enable", auth, write, async (req, res) => {
    const { code } = parseInput(twoFactorEnableSchema, req.body, "2FA enable");
    res.json(await twoFactor.enable(actor(res), code, requestMeta(req)));
  });

  router.post("/2fa/disable", auth, write, async (req, res) => {
    const body = parseInput(twoFactorDisableSchema, req.body, "2FA disable");
    res.json(await twoFactor.disable(actor(res), body, requestMeta(req)));
  });

  return router;
}
