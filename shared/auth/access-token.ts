import { randomUUID } from "node:crypto";
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import type { Config } from "../config/config.js";
import { AppError } from "../errors/app-error.js";

/** What an access token asserts about its bearer. */
export interface AccessClaims {
  userId: string;
  sessionId: string;
  roles: string[];
}

/** Claims of a token that passed verification, with its expiry (epoch milliseconds). */
export interface VerifiedAccess extends AccessClaims {
  expiresAt: number;
}

/** What a second-factor challenge (issued after a correct password) asserts. */
export interface ChallengeClaims {
  userId: string;
  challengeId: string;
}

const ALGORITHM = "HS256";
/** A compact JWS and nothing else: no surrounding white space, no line break (the API, the handshake and auth:refresh agree). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Challenges are for a different audience, so one can never pass as an access token (or the reverse). */
const CHALLENGE_AUDIENCE_SUFFIX = ":2fa";

/** Signs and verifies short-lived access JWTs (issuer, audience, expiry and type checked). */
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(private readonly config: Pick<Config, "JWT_SECRET" | "JWT_ISSUER" | "JWT_AUDIENCE" | "ACCESS_TOKEN_TTL_SECONDS">) {
    this.key = new TextEncoder().encode(config.JWT_SECRET);
  }

  async sign(claims: AccessClaims, ttlSeconds = this.config.ACCESS_TOKEN_TTL_SECONDS): Promise<string> {
    return new SignJWT({ typ: "access", sid: claims.sessionId, roles: claims.roles })
      .setProtectedHeader({ alg: ALGORITHM })
      .setSubject(claims.userId)
      .setIssuer(this.config.JWT_ISSUER)
      .setAudience(this.config.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }

  /** Returns the claims, or throws UNAUTHENTICATED / TOKEN_EXPIRED. */
  async verify(token: unknown): Promise<VerifiedAccess> {
    if (typeof token !== "string" || token.length === 0 || token.length > 4096) {
      throw new AppError("UNAUTHENTICATED", "An access token is required");
    }
    if (!COMPACT_JWS.test(token)) throw new AppError("UNAUTHENTICATED", "The access token is invalid");
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
        requiredClaims: ["sub", "exp", "sid"],
      });
      if (payload.typ !== "access" || typeof payload.sid !== "string" || typeof payload.sub !== "string") {
        throw new AppError("UNAUTHENTICATED", "Not an access token");
      }
      // Both are UUIDs in PostgreSQL; anything else could only come from a token signed elsewhere.
      if (!UUID.test(payload.sid) || !UUID.test(payload.sub)) throw new AppError("UNAUTHENTICATED", "The access token is invalid");
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === "string") : [];
      return { userId: payload.sub, sessionId: payload.sid, roles, expiresAt: (payload.exp ?? 0) * 1000 };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new AppError("TOKEN_EXPIRED", "The access token has expired");
      throw new AppError("UNAUTHENTICATED", "The access token is invalid");
    }
  }

  /** Signs the short-lived token that carries a password-verified login to its second step. */
  async signChallenge(userId: string, ttlSeconds: number): Promise<{ token: string; challengeId: string }> {
    const challengeId = randomUUID();
    const token = await new SignJWT({ typ: "2fa-challenge" })
      .setProtectedHeader({ alg: ALGORITHM })
      .setSubject(userId)
      .setJti(challengeId)
      .setIssuer(this.config.JWT_ISSUER)
      .setAudience(this.config.JWT_AUDIENCE + CHALLENGE_AUDIENCE_SUFFIX)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
    return { token, challengeId };
  }

  /** Returns the challenge's claims, or throws INVALID_CREDENTIALS. */
  async verifyChallenge(token: string): Promise<ChallengeClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE + CHALLENGE_AUDIENCE_SUFFIX,
        requiredClaims: ["sub", "exp", "jti"],
      });
      if (payload.typ !== "2fa-challenge" || typeof payload.sub !== "string" || typeof payload.jti !== "string") {
        throw new Error("not a challenge");
      }
      return { userId: payload.sub, challengeId: payload.jti };
    } catch {
      throw new AppError("INVALID_CREDENTIALS", "The sign-in challenge is invalid or has expired; sign in again");
    }
  }
}
