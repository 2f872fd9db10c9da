import type { Redis } from "ioredis";
import { defineScripts } from "../db/redis-scripts.js";

/**
 * One viewer's watching of one video within the current hour, in a Redis hash
 * `vw:{v:<videoId>}:<viewer>` (one key, so one slot): seconds watched, the last
 * heartbeat's time, whether the view and the completion were already counted.
 * The window is one hour from its first heartbeat (kept in the hash, so the
 * clock is the caller's): a viewer counts once per hour.
 *
 * A heartbeat may claim at most the wall time since the previous one (+2 s), and
 * the first heartbeat of a window only starts the clock, so a client cannot
 * claim a view with one request.
 */
const HEARTBEAT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local delta = tonumber(ARGV[2])
local threshold = tonumber(ARGV[3])
local position = tonumber(ARGV[4])
local completeAt = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local last = tonumber(redis.call('HGET', key, 'last') or '0')
local start = tonumber(redis.call('HGET', key, 'start') or '0')
if last == 0 or now - start >= ttl then
  delta = 0
  redis.call('DEL', key)
  redis.call('HSET', key, 'w', 0, 'last', now, 'start', now)
  redis.call('PEXPIRE', key, ttl + 60000)
else
  local wall = (now - last) / 1000 + 2
  if delta > wall then delta = wall end
  if delta < 0 then delta = 0 end
  redis.call('HSET', key, 'last', now)
end
local watched = tonumber(redis.call('HINCRBYFLOAT', key, 'w', delta))
local counted = 0
if watched >= threshold and redis.call('HSETNX', key, 'c', 1) == 1 then counted = 1 end
local completed = 0
if redis.call('HEXISTS', key, 'c') == 1 and (position >= completeAt or watched >= completeAt) and redis.call('HSETNX', key, 'd', 1) == 1 then completed = 1 end
return { tostring(delta), counted, completed, tostring(watched) }
`;

type HeartbeatRedis = Redis & {
  videoViewHeartbeat(key: string, now: number, delta: number, threshold: number, position: number, completeAt: number, ttlMs: number): Promise<[string, number, number, string]>;
};

export interface HeartbeatOutcome {
  /** Seconds of this heartbeat accepted as watch time. */
  acceptedSeconds: number;
  /** This heartbeat made the view count. */
  viewCounted: boolean;
  /** This heartbeat made the view count as completed. */
  completed: boolean;
  watchedSeconds: number;
}

export const VIEW_WINDOW_MS = 3600_000;
const viewKey = (videoId: string, viewer: string): string => `vw:{v:${videoId}}:${viewer}`;

export class ViewCounterRepository {
  private readonly redis: HeartbeatRedis;

  constructor(redis: Redis) {
    defineScripts(redis, { videoViewHeartbeat: { numberOfKeys: 1, lua: HEARTBEAT, sample: () => [viewKey("v1", "u:u1"), Date.now(), 5, 10, 5, 30, VIEW_WINDOW_MS] } });
    this.redis = redis as HeartbeatRedis;
  }

  async heartbeat(videoId: string, viewer: string, input: { now: number; watchedSeconds: number; thresholdSeconds: number; positionSeconds: number; completeAtSeconds: number }): Promise<HeartbeatOutcome> {
    const [delta, counted, completed, watched] = await this.redis.videoViewHeartbeat(
      viewKey(videoId, viewer),
      input.now,
      input.watchedSeconds,
      input.thresholdSeconds,
      input.positionSeconds,
      input.completeAtSeconds,
      VIEW_WINDOW_MS,
    );
    return { acceptedSeconds: Number(delta), viewCounted: counted === 1, completed: completed === 1, watchedSeconds: Number(watched) };
  }
}
