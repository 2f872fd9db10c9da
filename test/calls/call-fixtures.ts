import assert from "node:assert/strict";
import { io, type Socket } from "socket.io-client";
import { loadConfig } from "../../shared/config/config.js";
import { createLogger } from "../../shared/logging/logger.js";
import type { AckResponse } from "../../shared/realtime/events.js";
import { createPlatform, type Platform } from "../../shared/runtime/platform.js";
import { createServices, type Services } from "../../shared/runtime/services.js";
import type { ClientSocket } from "../helpers/sockets.js";
import { testEnv } from "../helpers/test-env.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { waitFor } from "../helpers/ports.js";

/** Short timings so timeouts and liveness show within a test. */
export const CALL_TEST_ENV = {
  CALL_RING_TIMEOUT_MS: "2500",
  CALL_PARTY_GRACE_MS: "6000",
  CALL_GLARE_WINDOW_MS: "5000",
  TURN_URLS: "turn:127.0.0.1:3478?transport=udp",
  STUN_URLS: "stun:127.0.0.1:3478",
  TURN_SECRET: "test-turn-secret-0123456789abcdef",
  TURN_TTL_SECONDS: "600",
} as const;

/** In-process stores and services with a cheap password hash (many users are registered). */
export async function callTestPlatform(): Promise<{ platform: Platform; services: Services }> {
  const config = loadConfig({ ...process.env, ...CALL_TEST_ENV, ARGON2_MEMORY_KIB: "8192", ARGON2_TIME_COST: "1", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "error" });
  const platform = await createPlatform(config, createLogger(config).child({ role: "test" }), testEnv.mongoUrl);
  return { platform, services: createServices(platform) };
}

export async function makeUsers(services: Services, n: number): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => createTestUser(services)));
}

/** Real sockets, each a device (`auth.deviceId`), closed together at the end of a test. */
export class Devices {
  private readonly open: ClientSocket[] = [];

  async connect(url: string, user: TestUser, deviceId?: string): Promise<ClientSocket> {
    const socket: ClientSocket = io(url, {
      auth: deviceId ? { token: user.accessToken, deviceId } : { token: user.accessToken },
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    this.open.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    return socket;
  }

  closeAll(): void {
    for (const socket of this.open.splice(0)) socket.close();
  }
}

/** Emits a client event and resolves with its acknowledgement. */
export function request<T = unknown>(socket: ClientSocket, event: string, payload: unknown, timeoutMs = 20_000): Promise<AckResponse<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event} within ${timeoutMs} ms`)), timeoutMs);
    (socket as unknown as Socket).emit(event, payload, (response: AckResponse<T>) => {
      clearTimeout(timer);
      resolve(response);
    });
  });
}

export function ok<T>(ack: AckResponse<T>): T {
  if (!ack.ok) assert.fail(`expected success, got ${ack.error.code}: ${ack.error.message}`);
  return ack.data;
}

export function failed(ack: AckResponse<unknown>): string {
  if (ack.ok) assert.fail(`expected an error, got ${JSON.stringify(ack.data)}`);
  return ack.error.code;
}

/** Every payload of `event` the socket receives from now on. */
export function collect<T>(socket: ClientSocket, event: string): T[] {
  const seen: T[] = [];
  (socket as unknown as Socket).on(event, (payload: T) => seen.push(payload));
  return seen;
}

/** Waits for the first item of `list` matching `match`. */
export async function arrival<T>(list: readonly T[], match: (item: T) => boolean, what: string, timeoutMs = 8_000): Promise<T> {
  await waitFor(() => list.some(match), timeoutMs, what);
  return list.find(match)!;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
