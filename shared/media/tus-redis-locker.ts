import { randomBytes } from "node:crypto";
import { ERRORS, type Lock, type Locker, type RequestRelease } from "@tus/utils";
import type { Redis } from "../db/redis.js";
import { defineScripts } from "../db/redis-scripts.js";
import type { Logger } from "../logging/logger.js";

export interface RedisTusLockerOptions {
  /** How long a lock lives without renewal: a dead holder's lock frees itself after this. Default 10,000 ms. */
  ttlMs?: number;
  /** How often a holder renews its lock and looks for release requests. Default ttlMs / 10 (at least 50 ms). */
  renewEveryMs?: number;
  /** How long `lock` waits before failing with ERR_LOCK_TIMEOUT (the tus server answers 500). Default 30,000 ms, as @tus/server's MemoryLocker. */
  acquireTimeoutMs?: number;
  /** How often a waiter tries again. Default 50 ms. */
  retryEveryMs?: number;
}

// KEYS[1] the lock, KEYS[2] its release request (one hash tag: one slot in Redis Cluster).
// Take the lock (a new holder clears old release requests), or ask its holder to let go.
const ACQUIRE = `
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  redis.call("DEL", KEYS[2])
  return 1
end
redis.call("SET", KEYS[2], "1", "PX", ARGV[2])
return 0`;
// Renew a lock still held with this token: -1 lost, 1 someone asks for it, 0 quiet.
const RENEW = `
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return -1 end
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return redis.call("EXISTS", KEYS[2])`;
const RELEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`;

/**
 * @tus/server's `Locker` over Redis, so several API replicas can serve the
 * same resumable upload: one request at a time per upload, whichever replica
 * it reaches. A lock is a key `tus-lock:{<uploadId>}` holding a random token
 * with a TTL, renewed while held (a crashed replica's lock expires). As the
 * Locker contract asks, a request that wants a held lock asks the holder to
 * let go (`tus-lock:{<uploadId>}:release`); the holder sees it at its next
 * renewal and cancels its request (a client resuming after a dropped
 * connection must not wait for the dead request's timeout).
 */
export class RedisTusLocker implements Locker {
  readonly options: Required<RedisTusLockerOptions>;
  private readonly redis: LockRedis;

  constructor(
    redis: Redis,
    private readonly logger: Logger,
    options: RedisTusLockerOptions = {},
  ) {
    const keys = lockKeys("sample-upload");
    // Declared through the registry like every script: the cluster check runs them, tests check their slots.
    defineScripts(redis, {
      tusLockAcquire: { numberOfKeys: 2, lua: ACQUIRE, sample: () => [...keys, "token", 10_000] },
      tusLockRenew: { numberOfKeys: 2, lua: RENEW, sample: () => [...keys, "token", 10_000] },
      tusLockRelease: { numberOfKeys: 1, lua: RELEASE, sample: () => [keys[0], "token"] },
    });
    this.redis = redis as LockRedis;
    const ttlMs = options.ttlMs ?? 10_000;
    this.options = {
      ttlMs,
      renewEveryMs: options.renewEveryMs ?? Math.max(50, Math.floor(ttlMs / 10)),
      acquireTimeoutMs: options.acquireTimeoutMs ?? 30_000,
      retryEveryMs: options.retryEveryMs ?? 50,
    };
  }

  newLock(id: string): Lock {
    return new RedisTusLock(this.redis, this.logger, id, this.options);
  }
}

/** The lock key of an upload (hash-tagged by the tus id). */
export const tusLockKey = (id: string): string => `tus-lock:{${id}}`;
/** The lock key and its release request: one hash tag, one slot. */
const lockKeys = (id: string): [string, string] => [tusLockKey(id), `${tusLockKey(id)}:release`];

type LockRedis = Redis & {
  tusLockAcquire(lock: string, release: string, token: string, ttlMs: number): Promise<number>;
  tusLockRenew(lock: string, release: string, token: string, ttlMs: number): Promise<number>;
  tusLockRelease(lock: string, token: string): Promise<number>;
};

class RedisTusLock implements Lock {
  private readonly token = randomBytes(12).toString("hex");
  private readonly keys: [string, string];
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: LockRedis,
    private readonly logger: Logger,
    private readonly id: string,
    private readonly options: Required<RedisTusLockerOptions>,
  ) {
    this.keys = lockKeys(id);
  }

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const deadline = Date.now() + this.options.acquireTimeoutMs;
    for (;;) {
      if (signal.aborted || Date.now() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
      const taken = await this.redis.tusLockAcquire(...this.keys, this.token, this.options.ttlMs);
      if (taken === 1) break;
      await sleep(this.options.retryEveryMs, signal);
    }
    this.keepAlive(requestRelease);
  }

  async unlock(): Promise<void> {
    clearInterval(this.renewal);
    this.renewal = undefined;
    const released = await this.redis.tusLockRelease(this.keys[0], this.token);
    if (released !== 1) this.logger.warn({ tusId: this.id }, "tus lock had expired before its release");
  }

  private keepAlive(requestRelease: RequestRelease): void {
    let asked = false;
    const ask = () => {
      if (asked) return;
      asked = true;
      void Promise.resolve(requestRelease()).catch((error: unknown) => this.logger.warn({ err: error, tusId: this.id }, "tus lock release request failed"));
    };
    this.renewal = setInterval(() => {
      this.redis
        .tusLockRenew(...this.keys, this.token, this.options.ttlMs)
        .then((state) => {
          if (state === -1) {
            // Lost (expired while Redis or this process stalled): stop writing, someone else may hold it now.
            clearInterval(this.renewal);
            ask();
          } else if (state === 1) {
            ask();
          }
        })
        .catch((error: unknown) => this.logger.warn({ err: error, tusId: this.id }, "tus lock renewal failed"));
    }, this.options.renewEveryMs);
    this.renewal.unref();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
