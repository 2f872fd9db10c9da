import type { Platform } from "./platform.js";

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

const CHECK_TIMEOUT_MS = 1_500;

async function within<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asks every store for a round trip; ready only when all of them answer. */
export async function checkReadiness(platform: Pick<Platform, "pg" | "redis" | "mongo">): Promise<ReadinessReport> {
  const probes: Record<string, () => Promise<unknown>> = {
    postgres: () => platform.pg.query("SELECT 1"),
    redis: () => (platform.redis.status === "ready" ? platform.redis.ping() : Promise.reject(new Error(`connection ${platform.redis.status}`))),
    mongo: () => platform.mongo.db.command({ ping: 1 }),
  };
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      try {
        await within(probe());
        return [name, { ok: true }] as const;
      } catch (error) {
        return [name, { ok: false, error: (error as Error).message }] as const;
      }
    }),
  );
  const checks = Object.fromEntries(entries);
  return { ready: entries.every(([, check]) => check.ok), checks };
}
