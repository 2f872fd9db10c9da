import { randomInt } from "node:crypto";
import * as OTPAuth from "otpauth";
import { startApi, type ApiServer } from "../../api/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall, type ApiResponse } from "../helpers/http.js";
import { createTestPlatform } from "../helpers/platform.js";

export type { ApiResponse } from "../helpers/http.js";

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Client address, sent as X-Forwarded-For (the API trusts its loopback proxy), so per-IP budgets stay per test. */
  ip?: string;
}

/** A random private address: each test gets its own per-IP rate-limit budget. */
export const randomIp = (): string => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/** In-process stores, services and a real HTTP API on a random port. */
export class IdentityHarness {
  private constructor(
    readonly platform: Platform,
    readonly services: Services,
    private readonly server: ApiServer,
  ) {}

  static async start(): Promise<IdentityHarness> {
    const { platform, services } = await createTestPlatform();
    const server = await startApi(platform, services, 0);
    return new IdentityHarness(platform, services, server);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  /** Sends a request; a string body is sent raw (for malformed JSON). */
  async call(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
    const headers = { "x-forwarded-for": options.ip ?? randomIp(), "user-agent": "identity-tests" };
    return httpCall(this.baseUrl, method, path, { token: options.token, body: options.body, headers });
  }

  /** Registers through the API; returns the response body (user and tokens). */
  async register(overrides: Record<string, unknown> = {}): Promise<{ body: any; email: string; password: string }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const email = (overrides.email as string | undefined) ?? uniqueEmail();
    const password = (overrides.password as string | undefined) ?? "Correct-Horse-Battery-9";
    const res = await this.call("POST", "/api/auth/register", { body: { email, password, fullName: "Ada Lovelace", ...overrides } });
    if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { body: res.body, email, password };
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.platform.close();
  }
}

let counter = 0;
export const uniqueEmail = (): string => `id-${Date.now().toString(36)}-${counter++}-${randomInt(1e9)}@example.test`;

/** The code an authenticator shows for `secret` in the 30-second step `step`. */
export function totpCode(secret: string, step: number): string {
  return OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30, timestamp: step * 30_000 });
}

/** The current TOTP step, after waiting out the last seconds of a step so a test's codes all stay valid. */
export async function freshTotpStep(): Promise<number> {
  const intoStep = Date.now() % 30_000;
  if (intoStep > 24_000) await new Promise((resolve) => setTimeout(resolve, 30_000 - intoStep + 50));
  return Math.floor(Date.now() / 30_000);
}
