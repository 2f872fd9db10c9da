/**
 * Lua scripts of the device registry. Each runs atomically on Redis and takes
 * its clock from Redis (`TIME`), so replicas with skewed clocks agree on what
 * has expired. Each touches the keys of one user only, all hash-tagged
 * `{u:<userId>}`, so on Redis Cluster each is a single-slot script.
 *
 * Keys per user: `presence:{u:<userId>}` — a sorted set of the user's devices
 * (`socketId~replicaId`, plus `@deviceId` when the client names its device)
 * scored by expiry (ms); `presence:{u:<userId>}:left` — when the user's last
 * device left with a draining replica: they stay "online" for a grace period
 * so a rolling restart does not flap their presence. The sweep finds users to
 * settle through `presence-due:{b:<n>}` (see presence.repository.ts), which
 * the scripts never touch.
 */

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: user set, left marker. ARGV: entry, device ttl ms, key ttl ms, cap,
 * device suffix ("@deviceId" or ""). Entries ending with the device suffix
 * are the same device's earlier sockets (one a dead replica left behind):
 * they are replaced, not counted. Returns {status, now}: -1 over the cap, 1
 * the user came online, 0 nothing to announce.
 */
export const CONNECT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local suffix = ARGV[5]
local replaced = 0
if suffix ~= '' then
  for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if entry ~= ARGV[1] and #entry > #suffix and string.sub(entry, -#suffix) == suffix then
      redis.call('ZREM', KEYS[1], entry)
      replaced = 1
    end
  end
end
local live = redis.call('ZCARD', KEYS[1])
if live >= tonumber(ARGV[4]) then return {-1, now} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local resumed = redis.call('DEL', KEYS[2])
if live == 0 and resumed == 0 and replaced == 0 then return {1, now} end
return {0, now}
`;

/**
 * KEYS: user set. ARGV: entry. Returns {status, now}: 1 the user went
 * offline, 0 nothing to announce (other devices live, or the device was
 * already swept).
 */
export const DISCONNECT = `${NOW}
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if removed == 0 then return {0, now} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) == 0 then return {1, now} end
return {0, now}
`;

/**
 * Heartbeat for one user's devices. KEYS: user set, left marker. ARGV: device
 * ttl ms, key ttl ms, then the entries. Recreates entries lost with a Redis
 * restart. Returns {now, back}: back 1 when the user came back online (its
 * devices had expired, or Redis lost them).
 */
export const REFRESH = `${NOW}
local ttl = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local live = redis.call('ZCARD', KEYS[1])
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], now + ttl, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local resumed = redis.call('DEL', KEYS[2])
if live == 0 and resumed == 0 then return {now, 1} end
return {now, 0}
`;

/**
 * A draining replica's devices of one user leave without announcing: a user
 * left with no device is marked as left (now) until the sweep's grace runs
 * out. KEYS: user set, left marker. ARGV: key ttl ms, then the entries.
 * Returns {now, left}: left 1 when the user was marked.
 */
export const DRAIN = `${NOW}
for i = 2, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) > 0 then return {now, 0} end
redis.call('SET', KEYS[2], now, 'PX', ARGV[1])
return {now, 1}
`;

/**
 * Settles one user the sweep found due. KEYS: user set, left marker. ARGV:
 * device ttl ms, grace ms. Returns {offline, lastSeenMs, nextDueMs}: offline 1
 * when the user's last device expired or a drain's grace ran out; nextDue the
 * time the user must be looked at again (0: never, nothing left).
 */
export const SETTLE = `${NOW}
local ttl = tonumber(ARGV[1])
local grace = tonumber(ARGV[2])
local lastSeen = 0
local changed = 0
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES')
for i = 2, #expired, 2 do
  changed = 1
  lastSeen = math.max(lastSeen, tonumber(expired[i]) - ttl)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] then
  redis.call('DEL', KEYS[2])
  return {0, 0, tonumber(newest[2])}
end
local left = redis.call('GET', KEYS[2])
if left then
  if tonumber(left) > now - grace then return {0, 0, tonumber(left) + grace} end
  redis.call('DEL', KEYS[2])
  changed = 1
  lastSeen = math.max(lastSeen, tonumber(left))
end
if changed == 0 then return {0, 0, 0} end
return {1, math.min(lastSeen, now), 0}
`;

/** KEYS: user set, left marker. Returns 1 when the user is online (a live device, or inside a drain's grace). */
export const ONLINE = `${NOW}
if redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf') > 0 then return 1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
return 0
`;

/**
 * Re-schedules or drops a due-index member after a settle, unless a connect
 * or heartbeat re-scheduled it meanwhile (its score moved past the one the
 * sweep read). KEYS: a `presence-due` bucket. ARGV: user id, the score the
 * sweep read, next due (0: none). Returns 1 when the member was changed.
 */
export const UNDUE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) > tonumber(ARGV[2]) then return 0 end
if tonumber(ARGV[3]) > 0 then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return 1
`;
