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
import type { Services } from "../../shared/runtime/services.js";
import { defineRoute, requestMeta, type RouteGroup } from "../http/route.js";

export type AuthRouteServices = Pick<Services, "auth" | "sessions" | "passwords" | "emailVerification" | "twoFactor">;

/**
 * /api/auth: registration, sign-in (with the 2FA step), token refresh,
 * sessions, e-mail verification, passwords and two-factor enrolment.
 * Anonymous routes are limited per IP (`authIp`), signed-in ones per user.
 */
export function authRoutes({ auth: accounts, sessions, passwords, emailVerification, twoFactor }: AuthRouteServices): RouteGroup {
  return {
    prefix: "/auth",
    tag: "auth",
    routes: [
      defineRoute({
        method: "post", path: "/register", summary: "Create an account (and its profile)", auth: "none", rate: "authIp", body: registerSchema, status: 201,
        handler: ({ body, req }) => accounts.register(body, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/login", summary: "Sign in with a password (may ask for the second factor)", auth: "none", rate: "authIp", body: loginSchema,
        handler: ({ body, req }) => accounts.login(body, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/login/2fa", summary: "Complete a sign-in with a TOTP or recovery code", auth: "none", rate: "authIp", body: twoFactorLoginSchema,
        handler: ({ body, req }) => accounts.loginSecondFactor(body, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/refresh", summary: "Rotate a refresh token for new tokens", auth: "none", rate: "authIp", body: refreshSchema,
        handler: ({ body, req }) => sessions.refresh(body.refreshToken, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/logout", summary: "End the caller's session", auth: "required", rate: "write",
        handler: async ({ actor, req }) => void (await sessions.logout(actor, requestMeta(req))),
      }),
      defineRoute({
        method: "get", path: "/sessions", summary: "The caller's sessions", auth: "required", rate: "read",
        handler: async ({ actor }) => ({ sessions: await sessions.list(actor) }),
      }),
      defineRoute({
        method: "delete", path: "/sessions/:id", summary: "Revoke one of the caller's sessions", auth: "required", rate: "write", params: sessionIdParams,
        handler: async ({ actor, params, req }) => void (await sessions.revoke(actor, params.id, requestMeta(req))),
      }),
      defineRoute({
        method: "delete", path: "/sessions", summary: "Revoke every other session of the caller", auth: "required", rate: "write",
        handler: ({ actor, req }) => sessions.revokeOthers(actor, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/verify-email", summary: "Verify an e-mail address with its token", auth: "none", rate: "authIp", body: tokenSchema,
        handler: ({ body, req }) => emailVerification.verify(body.token, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/verify-email/resend", summary: "Send a new verification e-mail", auth: "required", rate: "write", body: emptyBodySchema.optional(), status: 202,
        handler: ({ actor, req }) => emailVerification.resend(actor, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/password/forgot", summary: "Ask for a password reset link", auth: "none", rate: "authIp", body: forgotPasswordSchema, status: 202,
        handler: ({ body, req }) => passwords.forgot(body, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/password/reset", summary: "Set a new password with a reset token", auth: "none", rate: "authIp", body: resetPasswordSchema,
        handler: ({ body, req }) => passwords.reset(body, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/password/change", summary: "Change the caller's password", auth: "required", rate: "write", body: changePasswordSchema,
        handler: ({ actor, body, req }) => passwords.change(actor, body, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/2fa/setup", summary: "Start TOTP enrolment (secret and QR code)", auth: "required", rate: "write", body: twoFactorSetupSchema,
        handler: ({ actor, body, req }) => twoFactor.setup(actor, body.password, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/2fa/enable", summary: "Confirm TOTP enrolment with a code", auth: "required", rate: "write", body: twoFactorEnableSchema,
        handler: ({ actor, body, req }) => twoFactor.enable(actor, body.code, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/2fa/disable", summary: "Turn two-factor sign-in off", auth: "required", rate: "write", body: twoFactorDisableSchema,
        handler: ({ actor, body, req }) => twoFactor.disable(actor, body, requestMeta(req)),
      }),
    ],
  };
}
