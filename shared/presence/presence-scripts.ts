/**
 * Lua scripts of the device registry. Each runs atomically on Redis and takes
 * its clock from Redis (`TIME`), so replicas with skewed clocks agree on what
 * has expired.
 *
 * Keys: `presence:{userId}` — a sorted set of the user's devices
 * (`socketId~replicaId`, plus `@deviceId` when the client names its device)
 * scored by expiry (ms); `presence-devices` — every device as `{userId} {socketId}` by
 * expiry, which the sweep scans; `presence-pending` — users whose last device
 * left with a draining replica, scored by when they left: they stay "online"
 * for a grace period so a rolling restart does not flap their presence.
 */

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: user set, devices index, pending. ARGV: entry, index member, userId,
 * device ttl ms, key ttl ms, cap, device suffix ("@deviceId" or ""). Entries
 * ending with the device suffix are the same device's earlier sockets (one a
 * dead replica left behind): they are replaced, not counted. Returns
 * {status, now}: -1 over the cap, 1 the user came online, 0 nothing to announce.
 */
export const CONNECT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local suffix = ARGV[7]
local replaced = 0
if suffix ~= '' then
  for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if entry ~= ARGV[1] and #entry > #suffix and string.sub(entry, -#suffix) == suffix then
      redis.call('ZREM', KEYS[1], entry)
      redis.call('ZREM', KEYS[2], ARGV[3] .. ' ' .. entry)
      replaced = 1
    end
  end
end
local live = redis.call('ZCARD', KEYS[1])
if live >= tonumber(ARGV[6]) then return {-1, now} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[2])
local resumed = redis.call('ZREM', KEYS[3], ARGV[3])
if live == 0 and resumed == 0 and replaced == 0 then return {1, now} end
return {0, now}
`;

/**
 * KEYS: user set, devices index. ARGV: socketId, index member. Returns
 * {status, now}: 1 the user went offline, 0 nothing to announce (other devices
 * live, or the device was already swept).
 */
export const DISCONNECT = `${NOW}
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if removed == 0 then return {0, now} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) == 0 then return {1, now} end
return {0, now}
`;

/**
 * Heartbeat for a batch of devices. KEYS: devices index, pending, then one
 * user set per device. ARGV: device ttl ms, key ttl ms, then per device
 * socketId, index member, userId. Recreates entries lost with a Redis restart.
 * Returns {now, i...}: 1-based positions of devices whose user came back online
 * (its devices had expired, or Redis lost them).
 */
export const REFRESH = `${NOW}
local ttl = tonumber(ARGV[1])
local back = {now}
for i = 3, #KEYS do
  local base = 3 + (i - 3) * 3
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  local live = redis.call('ZCARD', KEYS[i])
  redis.call('ZADD', KEYS[i], now + ttl, ARGV[base])
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[base + 1])
  local resumed = redis.call('ZREM', KEYS[2], ARGV[base + 2])
  if live == 0 and resumed == 0 then back[#back + 1] = i - 2 end
end
return back
`;

/**
 * A draining replica's devices leave without announcing: users left with no
 * device become pending (scored by now) until the sweep's grace runs out.
 * KEYS: devices index, pending, then one user set per device. ARGV: per device
 * socketId, index member, userId.
 */
export const DRAIN = `${NOW}
for i = 3, #KEYS do
  local base = 1 + (i - 3) * 3
  redis.call('ZREM', KEYS[i], ARGV[base])
  redis.call('ZREM', KEYS[1], ARGV[base + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if redis.call('ZCARD', KEYS[i]) == 0 then redis.call('ZADD', KEYS[2], now, ARGV[base + 2]) end
end
return now
`;

/** KEYS: devices index, pending. ARGV: grace ms, limit. Returns {expired index members, due pending users}. */
export const SCAN_DUE = `${NOW}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local pending = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, tonumber(ARGV[2]))
return {expired, pending}
`;

/**
 * Settles one user after devices expired or a drain's grace ran out.
 * KEYS: user set, devices index, pending. ARGV: userId, device ttl ms, grace
 * ms, then index members the scan found. Returns {offline, lastSeenMs}.
 */
export const SETTLE = `${NOW}
local ttl = tonumber(ARGV[2])
local lastSeen = 0
local changed = 0
for i = 4, #ARGV do
  local score = redis.call('ZSCORE', KEYS[2], ARGV[i])
  if score and tonumber(score) <= now then
    redis.call('ZREM', KEYS[2], ARGV[i])
    changed = 1
    lastSeen = math.max(lastSeen, tonumber(score) - ttl)
  end
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES')
for i = 2, #expired, 2 do
  changed = 1
  lastSeen = math.max(lastSeen, tonumber(expired[i]) - ttl)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local left = redis.call('ZSCORE', KEYS[3], ARGV[1])
if redis.call('ZCARD', KEYS[1]) > 0 then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return {0, 0}
end
if left then
  if tonumber(left) > now - tonumber(ARGV[3]) then return {0, 0} end
  redis.call('ZREM', KEYS[3], ARGV[1])
  changed = 1
  lastSeen = math.max(lastSeen, tonumber(left))
end
if changed == 0 then return {0, 0} end
return {1, math.min(lastSeen, now)}
`;

/** KEYS: user sets, then pending. ARGV: userIds. Returns 1/0 per user: online (a live device, or inside a drain's grace). */
export const ONLINE = `${NOW}
local pending = KEYS[#KEYS]
local result = {}
for i = 1, #KEYS - 1 do
  local live = redis.call('ZCOUNT', KEYS[i], '(' .. now, '+inf')
  if live == 0 and redis.call('ZSCORE', pending, ARGV[i]) then live = 1 end
  result[i] = live > 0 and 1 or 0
end
return result
`;
