import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import type { Config } from "../config/config.js";
import { AppError } from "../errors/app-error.js";

/** What an access token asserts about its bearer. */
export interface AccessClaims {
  userId: string;
  sessionId: string;
  roles: string[];
}

const ALGORITHM = "HS256";

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
  async verify(token: unknown): Promise<AccessClaims> {
    if (typeof token !== "string" || token.length === 0 || token.length > 4096) {
      throw new AppError("UNAUTHENTICATED", "An access token is required");
    }
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
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === "string") : [];
      return { userId: payload.sub, sessionId: payload.sid, roles };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new AppError("TOKEN_EXPIRED", "The access token has expired");
      throw new AppError("UNAUTHENTICATED", "The access token is invalid");
    }
  }
}
