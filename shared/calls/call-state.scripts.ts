/**
 * Lua scripts of the call state machine: one script per transition, each a
 * compare-and-set on the call's JSON document under `{call:<id>}:state`
 * (a single key, so a single hash slot). A script checks its preconditions
 * against the current state and, when given one, the version the caller last
 * saw (ARGV[1], "" for any), bumps the version and writes the whole state
 * back. The clock is Redis's (`TIME`), so replicas agree on what is late.
 *
 * Every script answers `{code, stateJson, previousJson}`: `OK` when it wrote,
 * otherwise the reason it did not (with the current state, so the caller can
 * tell the client what happened instead).
 */

const PRELUDE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'CALL_NOT_FOUND', false, false} end
local c = cjson.decode(raw)
if ARGV[1] ~= '' then
  -- Only a participant learns that the version moved on.
  if not c.parties[ARGV[3]] then return {'CALL_NOT_FOUND', false, false} end
  if tonumber(ARGV[1]) ~= c.version then return {'VERSION_CONFLICT', raw, raw} end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local FINAL = { ended = true, missed = true, declined = true, cancelled = true, busy = true }
local function count(state)
  local n = 0
  for _, p in pairs(c.parties) do if p.state == state then n = n + 1 end end
  return n
end
local function event(e)
  e.at = now
  table.insert(c.events, e)
  if #c.events > 64 then table.remove(c.events, 2) end
end
-- Ends the call. Invitees still ringing become 'missed' (or 'left' after glare: they are in the surviving call).
local function finish(status, reason, by, ringingTo)
  c.status = status
  c.endedAt = now
  c.endReason = reason
  if by then c.endedBy = by end
  for _, p in pairs(c.parties) do
    if p.state == 'ringing' then p.state = ringingTo or 'missed'; p.at = now end
  end
  event({ type = 'end', reason = reason, userId = by })
end
-- KEYS[2]: the joined parties (userId -> deviceId), which the signal relay reads instead of the whole state.
local function save()
  c.version = c.version + 1
  c.updatedAt = now
  local out = cjson.encode(c)
  redis.call('DEL', KEYS[2])
  if FINAL[c.status] then
    redis.call('SET', KEYS[1], out, 'PX', tonumber(ARGV[2]))
  else
    redis.call('SET', KEYS[1], out, 'KEEPTTL')
    for uid, p in pairs(c.parties) do
      if p.state == 'accepted' and p.deviceId then redis.call('HSET', KEYS[2], uid, p.deviceId) end
    end
    redis.call('PEXPIRE', KEYS[2], redis.call('PTTL', KEYS[1]))
  end
  return {'OK', out, raw}
end
if FINAL[c.status] then return {'CALL_ENDED', raw, raw} end
`;

/** KEYS: state, joined. ARGV: state JSON, ttl ms, caller id, caller device id. Writes a new call unless the id is taken. */
export const CREATE = `
if redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]), 'NX') == false then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
return 1
`;

/** ARGV: expected version, final ttl ms, userId, deviceId, mode ("answer" | "join"), max joined parties. */
export const ACCEPT = `${PRELUDE}
local p = c.parties[ARGV[3]]
if not p then return {'CALL_NOT_FOUND', raw, raw} end
if p.state ~= 'accepted' and count('accepted') >= tonumber(ARGV[6]) then return {'CALL_FULL', raw, raw} end
if p.state == 'accepted' then
  if p.deviceId == ARGV[4] then return {'ALREADY', raw, raw} end
  return {'ANSWERED_ELSEWHERE', raw, raw}
end
local rejoin = ARGV[5] == 'join'
if p.state ~= 'ringing' and not rejoin then return {'CALL_NOT_RINGING', raw, raw} end
for _, q in pairs(c.parties) do
  if q.state == 'accepted' and q.deviceId == ARGV[4] then return {'DEVICE_CONFLICT', raw, raw} end
end
p.state = 'accepted'
p.deviceId = ARGV[4]
p.seenAt = now
p.at = now
if not p.answeredAt then p.answeredAt = now end
if c.status == 'ringing' then
  c.status = 'active'
  c.answeredAt = now
end
event({ type = 'accept', userId = ARGV[3], deviceId = ARGV[4] })
return save()
`;

/** ARGV: expected version, final ttl ms, userId. A decline that leaves nobody to answer ends the call. */
export const DECLINE = `${PRELUDE}
local p = c.parties[ARGV[3]]
if not p then return {'CALL_NOT_FOUND', raw, raw} end
if p.state == 'declined' then return {'ALREADY', raw, raw} end
if p.state ~= 'ringing' then return {'CALL_NOT_RINGING', raw, raw} end
p.state = 'declined'
p.at = now
event({ type = 'decline', userId = ARGV[3] })
if c.status == 'ringing' and count('ringing') == 0 then finish('declined', 'declined', ARGV[3]) end
return save()
`;

/**
 * ARGV: expected version, final ttl ms, userId, deviceId. The caller hanging up
 * a ringing call cancels it; a joined party leaving an active call leaves, and
 * the call ends when fewer than two parties remain; an invitee hanging up a
 * ringing call declines it.
 */
export const HANGUP = `${PRELUDE}
local p = c.parties[ARGV[3]]
if not p then return {'CALL_NOT_FOUND', raw, raw} end
if p.state == 'ringing' then
  p.state = 'declined'
  p.at = now
  event({ type = 'decline', userId = ARGV[3] })
  if c.status == 'ringing' and count('ringing') == 0 then finish('declined', 'declined', ARGV[3]) end
  return save()
end
if p.state ~= 'accepted' or p.deviceId ~= ARGV[4] then return {'NOT_A_PARTY', raw, raw} end
if c.status == 'ringing' then
  finish('cancelled', 'cancelled', ARGV[3])
  return save()
end
p.state = 'left'
p.at = now
event({ type = 'leave', userId = ARGV[3], deviceId = ARGV[4] })
if count('accepted') < 2 then finish('ended', 'hangup', ARGV[3]) end
return save()
`;

/** ARGV: expected version, final ttl ms. Invitees still ringing missed the call; a call nobody answered is missed. */
export const TIMEOUT = `${PRELUDE}
if count('ringing') == 0 then return {'NOOP', raw, raw} end
if c.status == 'ringing' then
  finish('missed', 'timeout', nil)
else
  for _, p in pairs(c.parties) do
    if p.state == 'ringing' then p.state = 'missed'; p.at = now end
  end
  event({ type = 'timeout' })
end
return save()
`;

/** ARGV: expected version, final ttl ms, comma-separated user ids. Invitees in another call are busy. */
export const MARK_BUSY = `${PRELUDE}
local changed = false
for uid in string.gmatch(ARGV[3], '[^,]+') do
  local p = c.parties[uid]
  if p and p.state == 'ringing' then
    p.state = 'busy'
    p.at = now
    changed = true
    event({ type = 'busy', userId = uid })
  end
end
if not changed then return {'NOOP', raw, raw} end
if c.status == 'ringing' and count('ringing') == 0 then finish('busy', 'busy', nil) end
return save()
`;

/** ARGV: expected version, final ttl ms, surviving call id. Glare: a ringing call gives way to the lesser call id. */
export const REPLACE = `${PRELUDE}
if c.status ~= 'ringing' then return {'CALL_NOT_RINGING', raw, raw} end
c.replacedBy = ARGV[3]
finish('cancelled', 'glare', nil, 'left')
return save()
`;

/**
 * ARGV: expected version, final ttl ms, grace ms, max duration ms, ring slack ms.
 * Drops joined parties not heard from within the grace period, ends a call
 * with fewer than two parties, one older than the maximum, and one still
 * ringing well after its expiry (the timeout job's backstop).
 */
export const REAP = `${PRELUDE}
local grace = tonumber(ARGV[3])
local changed = false
if now - c.createdAt > tonumber(ARGV[4]) then
  finish(c.status == 'ringing' and 'missed' or 'ended', 'max_duration', nil)
  return save()
end
for uid, p in pairs(c.parties) do
  if p.state == 'accepted' and (p.seenAt or 0) < now - grace then
    p.state = 'left'
    p.at = now
    changed = true
    event({ type = 'lost', userId = uid, deviceId = p.deviceId })
  end
end
local late = now > c.expiresAt + tonumber(ARGV[5])
if c.status == 'ringing' and count('accepted') == 0 then
  finish('cancelled', 'lost', c.initiatorId)
  changed = true
elseif c.status == 'ringing' and late then
  finish('missed', 'timeout', nil)
  changed = true
elseif c.status == 'active' and count('accepted') < 2 then
  finish('ended', 'lost', nil)
  changed = true
elseif c.status == 'active' and late and count('ringing') > 0 then
  for _, p in pairs(c.parties) do
    if p.state == 'ringing' then p.state = 'missed'; p.at = now end
  end
  changed = true
end
if not changed then return {'NOOP', raw, raw} end
return save()
`;

/** ARGV: "", final ttl ms (unused), userId, deviceId. Refreshes a joined device's liveness; no new version. */
export const TOUCH = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local c = cjson.decode(raw)
local p = c.parties[ARGV[3]]
if not p or p.state ~= 'accepted' or p.deviceId ~= ARGV[4] then return 0 end
local t = redis.call('TIME')
p.seenAt = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
return 1
`;

/** KEYS: one key. ARGV: expected value, new value, ttl ms. Replaces the value only if it is still the expected one. */
export const SWAP_IF = `
local current = redis.call('GET', KEYS[1])
if current ~= ARGV[1] then return current or false end
redis.call('SET', KEYS[1], ARGV[2], 'PX', tonumber(ARGV[3]))
return ARGV[2]
`;

/** KEYS: one key. ARGV: expected value. Deletes the key only if it still holds the expected value. */
export const DELETE_IF = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
