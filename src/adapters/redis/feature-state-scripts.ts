/**
 * Lua scripts of the Redis feature state. Each runs atomically, so concurrent workers touching the same terminal or
 * the same transaction never interleave inside one of them (no read-modify-write across round trips).
 *
 * Keys, under the injected prefix P (use a hash tag such as `{fs:card-payments}:` on Redis Cluster: the batch
 * scripts touch many entities and build key names inside Lua):
 *   P c:<customer>  string: append-only history, 32-byte records of four little-endian float64
 *                   (event time ms, amount minor units, partition, offset)
 *   P t:<terminal>  sorted set: member "<event time>:<transaction id>", score event time (adding a replay again
 *                   changes nothing)
 *   P f:<terminal>  sorted set: member "<reportedAt>:<transaction id>", score the transaction's event time
 *   P x:<tx>        string "<eventTime>:<reportedAt or empty>:<terminal>": the transaction index labels join through
 *   P p:<tx>        string "<reportedAt>": a fraud report waiting for its transaction
 *   P fraud-terminals  set of terminals with fraud reports: one SMISMEMBER per batch instead of one read per
 *                   terminal (most terminals have none); its TTL is refreshed with each f: key it names
 * Every key carries a TTL (the feature retention) refreshed on write, so abandoned entities disappear.
 *
 * The scripts store and count; they never decide which window a record belongs to (that is core code, shared
 * with the memory backend). Numbers cross as decimal strings and are used as given, so no precision is lost.
 */

/**
 * ARGV: prefix, ttlMs,
 *   customerCount, then per customer: id, records (binary),
 *   maintainedCount, then per maintained customer: its 1-based index above, trimBeforeMs,
 *   terminalCount, then per terminal: id, "<maintain 1|0> <trimBeforeMs>", "<time> <time> ...", then one
 *   transaction id per time.
 * Numbers travel packed in space-separated strings: each separate argument costs the client about a microsecond
 * to encode, and a batch has thousands. Ids stay separate arguments (they may contain any byte).
 *
 * Redis calls are the other cost (each one a few microseconds from Lua), so the script makes few per record:
 * one APPEND per customer, one SET NX per transaction, one ZADD per terminal, one MGET for pending reports. TTL
 * refresh and trimming happen only for entities the client marks "maintain" (about once per hour and per week of
 * event time): trimming only bounds memory, reads never look below the cutoff, so it may lag.
 */
export const RECORD_BATCH_LUA = `
local prefix = ARGV[1]
local ttl = ARGV[2]
local i = 3

local customers = tonumber(ARGV[i]); i = i + 1
local customerKeys = {}
for c = 1, customers do
  local key = prefix .. 'c:' .. ARGV[i]
  local records = ARGV[i + 1]
  i = i + 2
  customerKeys[c] = key
  if redis.call('APPEND', key, records) == #records then
    redis.call('PEXPIRE', key, ttl)
  end
end
local maintained = tonumber(ARGV[i]); i = i + 1
for _ = 1, maintained do
  local key = customerKeys[tonumber(ARGV[i])]
  local cutoff = tonumber(ARGV[i + 1])
  i = i + 2
  redis.call('PEXPIRE', key, ttl)
  -- Drop the prefix of records older than the cutoff, atomically, in place of the key.
  local oldest = struct.unpack('<d', redis.call('GETRANGE', key, 0, 7))
  if oldest < cutoff then
    local history = redis.call('GET', key)
    local count = #history / 32
    local drop = 0
    while drop < count and struct.unpack('<d', history, drop * 32 + 1) < cutoff do
      drop = drop + 1
    end
    if drop == count then
      redis.call('DEL', key)
    else
      redis.call('SET', key, string.sub(history, drop * 32 + 1), 'PX', ttl)
    end
  end
end

-- Recorded transactions, for the pending-report join below.
local newIds = {}
local newTimes = {}
local newTerminals = {}
local terminals = tonumber(ARGV[i]); i = i + 1
for _ = 1, terminals do
  local terminal = ARGV[i]
  local flag, cutoff = string.match(ARGV[i + 1], '^(%S+) (%S+)$')
  local maintain = flag == '1'
  local below = '(' .. cutoff
  local times = ARGV[i + 2]
  i = i + 3
  local terminalKey = prefix .. 't:' .. terminal
  local members = {}
  for time in string.gmatch(times, '%S+') do
    local tx = ARGV[i]
    i = i + 1
    -- The terminal holds each (time, id) once: adding a replay again changes nothing.
    members[#members + 1] = time
    members[#members + 1] = time .. ':' .. tx
    -- The first recording of an id indexes it for labels (first write wins) and may join a waiting report.
    if redis.call('SET', prefix .. 'x:' .. tx, time .. '::' .. terminal, 'NX', 'PX', ttl) then
      newIds[#newIds + 1] = tx
      newTimes[#newTimes + 1] = time
      newTerminals[#newTerminals + 1] = terminal
    end
  end
  -- unpack() is bounded by Lua's C stack: add in slices.
  for from = 1, #members, 1000 do
    redis.call('ZADD', terminalKey, unpack(members, from, math.min(from + 999, #members)))
  end
  if maintain then
    redis.call('ZREMRANGEBYSCORE', terminalKey, '-inf', below)
    redis.call('PEXPIRE', terminalKey, ttl)
    local fraudKey = prefix .. 'f:' .. terminal
    redis.call('ZREMRANGEBYSCORE', fraudKey, '-inf', below)
    -- The set is refreshed with every f: key it names, so it never expires before one of them.
    if redis.call('PEXPIRE', fraudKey, ttl) == 0 then
      redis.call('SREM', prefix .. 'fraud-terminals', terminal)
    else
      redis.call('SADD', prefix .. 'fraud-terminals', terminal)
      redis.call('PEXPIRE', prefix .. 'fraud-terminals', ttl)
    end
  end
end

for from = 1, #newIds, 500 do
  local to = math.min(from + 499, #newIds)
  local keys = {}
  for n = from, to do
    keys[#keys + 1] = prefix .. 'p:' .. newIds[n]
  end
  local reported = redis.call('MGET', unpack(keys))
  for n = from, to do
    local at = reported[n - from + 1]
    if at then
      local tx = newIds[n]
      local time = newTimes[n]
      local terminal = newTerminals[n]
      local fraudKey = prefix .. 'f:' .. terminal
      redis.call('DEL', keys[n - from + 1])
      redis.call('ZADD', fraudKey, time, at .. ':' .. tx)
      redis.call('PEXPIRE', fraudKey, ttl)
      redis.call('SADD', prefix .. 'fraud-terminals', terminal)
      redis.call('PEXPIRE', prefix .. 'fraud-terminals', ttl)
      redis.call('SET', prefix .. 'x:' .. tx, time .. ':' .. at .. ':' .. terminal, 'PX', ttl)
    end
  end
end
return 1
`;

/**
 * ARGV: prefix, ttlMs, then per report: transaction id, reportedAtMs.
 * Joins the report to its transaction if indexed (keeping the earliest report), else keeps it pending (earliest).
 */
export const RECORD_FRAUD_LUA = `
local prefix = ARGV[1]
local ttl = ARGV[2]
for i = 3, #ARGV, 2 do
  local tx = ARGV[i]
  local reported = ARGV[i + 1]
  local indexKey = prefix .. 'x:' .. tx
  local entry = redis.call('GET', indexKey)
  if entry then
    local a = string.find(entry, ':', 1, true)
    local b = string.find(entry, ':', a + 1, true)
    local time = string.sub(entry, 1, a - 1)
    local known = string.sub(entry, a + 1, b - 1)
    local terminal = string.sub(entry, b + 1)
    if known == '' or tonumber(reported) < tonumber(known) then
      local fraudKey = prefix .. 'f:' .. terminal
      if known ~= '' then
        redis.call('ZREM', fraudKey, known .. ':' .. tx)
      end
      redis.call('ZADD', fraudKey, time, reported .. ':' .. tx)
      redis.call('PEXPIRE', fraudKey, ttl)
      redis.call('SADD', prefix .. 'fraud-terminals', terminal)
      redis.call('PEXPIRE', prefix .. 'fraud-terminals', ttl)
      redis.call('SET', indexKey, time .. ':' .. reported .. ':' .. terminal, 'KEEPTTL')
    end
  else
    local pendingKey = prefix .. 'p:' .. tx
    local known = redis.call('GET', pendingKey)
    if (not known) or tonumber(reported) < tonumber(known) then
      redis.call('SET', pendingKey, reported, 'PX', ttl)
    end
  end
end
return 1
`;

/**
 * ARGV: prefix,
 *   countTerminals, then per terminal: id, "<from> <to> <from> <to> ..." (ranges (from, to]),
 *   fraudTerminals, then per terminal: id, "<from> <to>".
 * Returns { counts (flat, in request order), fraud } where fraud[g] is a flat [member, score, ...] list.
 */
export const READ_TERMINALS_LUA = `
local prefix = ARGV[1]
local i = 2
local counts = {}
local n = 0
local countTerminals = tonumber(ARGV[i]); i = i + 1
for _ = 1, countTerminals do
  local key = prefix .. 't:' .. ARGV[i]
  for from, to in string.gmatch(ARGV[i + 1], '(%S+) (%S+)') do
    n = n + 1
    counts[n] = redis.call('ZCOUNT', key, '(' .. from, to)
  end
  i = i + 2
end
local fraudTerminals = tonumber(ARGV[i]); i = i + 1
local fraud = {}
for from = 1, fraudTerminals, 1000 do
  local to = math.min(from + 999, fraudTerminals)
  local ids = {}
  for g = from, to do
    ids[#ids + 1] = ARGV[i + (g - 1) * 2]
  end
  local known = redis.call('SMISMEMBER', prefix .. 'fraud-terminals', unpack(ids))
  for g = from, to do
    local at = i + (g - 1) * 2
    if known[g - from + 1] == 1 then
      local low, high = string.match(ARGV[at + 1], '(%S+) (%S+)')
      fraud[g] = redis.call('ZRANGEBYSCORE', prefix .. 'f:' .. ARGV[at], '(' .. low, high, 'WITHSCORES')
    else
      fraud[g] = {}
    end
  end
end
return { counts, fraud }
`;
