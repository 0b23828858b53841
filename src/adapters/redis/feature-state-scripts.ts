/**
 * Lua scripts of the Redis feature state. Each runs atomically, so concurrent workers touching the same terminal or
 * the same transaction never interleave inside one of them (no read-modify-write across round trips).
 *
 * Keys, under the injected prefix P (use a hash tag such as `{fs:card-payments}:` on Redis Cluster: the batch
 * scripts touch many entities and build key names inside Lua):
 *   P c:<customer>  string: append-only history, 32-byte records of four little-endian float64
 *                   (event time ms, amount minor units, partition, offset)
 *   P t:<terminal>  sorted set: member transaction id, score event time (ZADD of a known member changes nothing)
 *   P f:<terminal>  sorted set: member "<reportedAt>:<transaction id>", score the transaction's event time
 *   P x:<tx>        string "<eventTime>:<reportedAt or empty>:<terminal>": the transaction index labels join through
 *   P p:<tx>        string "<reportedAt>": a fraud report waiting for its transaction
 * Every key carries a TTL (the feature retention) refreshed on write, so abandoned entities disappear.
 *
 * The scripts store and count; they never decide which window a record belongs to (that is core code, shared
 * with the memory backend). Numbers cross as decimal strings and are used as given, so no precision is lost.
 */

/**
 * ARGV: prefix, ttlMs, customerTrimSlackMs,
 *   customerCount, then per customer: id, records (binary), trimBeforeMs,
 *   terminalCount, then per terminal: id, trimBeforeMs, transactionCount, then per transaction: id, eventTimeMs.
 */
export const RECORD_BATCH_LUA = `
local prefix = ARGV[1]
local ttl = ARGV[2]
local slack = tonumber(ARGV[3])
local i = 4

local customers = tonumber(ARGV[i]); i = i + 1
for _ = 1, customers do
  local key = prefix .. 'c:' .. ARGV[i]
  local length = redis.call('APPEND', key, ARGV[i + 1])
  local cutoff = tonumber(ARGV[i + 2])
  i = i + 3
  redis.call('PEXPIRE', key, ttl)
  -- Drop the prefix of records older than the cutoff, but only once the oldest is "slack" past it: a trim copies
  -- the string, so it should happen about once per slack of event time, not on every batch.
  local oldest = struct.unpack('<d', redis.call('GETRANGE', key, 0, 7))
  if oldest < cutoff - slack then
    local history = redis.call('GET', key)
    local count = length / 32
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

local terminals = tonumber(ARGV[i]); i = i + 1
for _ = 1, terminals do
  local terminal = ARGV[i]
  local below = '(' .. ARGV[i + 1]
  local transactions = tonumber(ARGV[i + 2])
  i = i + 3
  local terminalKey = prefix .. 't:' .. terminal
  local fraudKey = prefix .. 'f:' .. terminal
  for _ = 1, transactions do
    local tx = ARGV[i]
    local time = ARGV[i + 1]
    i = i + 2
    local indexKey = prefix .. 'x:' .. tx
    -- First write wins: a replayed (already indexed) transaction changes nothing.
    if redis.call('SET', indexKey, time .. '::' .. terminal, 'NX', 'PX', ttl) then
      redis.call('ZADD', terminalKey, time, tx)
      local pendingKey = prefix .. 'p:' .. tx
      local reported = redis.call('GET', pendingKey)
      if reported then
        redis.call('DEL', pendingKey)
        redis.call('ZADD', fraudKey, time, reported .. ':' .. tx)
        redis.call('PEXPIRE', fraudKey, ttl)
        redis.call('SET', indexKey, time .. ':' .. reported .. ':' .. terminal, 'PX', ttl)
      end
    end
  end
  redis.call('ZREMRANGEBYSCORE', terminalKey, '-inf', below)
  redis.call('ZREMRANGEBYSCORE', fraudKey, '-inf', below)
  redis.call('PEXPIRE', terminalKey, ttl)
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
 *   countTerminals, then per terminal: id, rangeCount, then per range: fromExclusive, toInclusive,
 *   fraudTerminals, then per terminal: id, fromExclusive, toInclusive.
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
  local ranges = tonumber(ARGV[i + 1])
  i = i + 2
  for _ = 1, ranges do
    n = n + 1
    counts[n] = redis.call('ZCOUNT', key, '(' .. ARGV[i], ARGV[i + 1])
    i = i + 2
  end
end
local fraudTerminals = tonumber(ARGV[i]); i = i + 1
local fraud = {}
for g = 1, fraudTerminals do
  fraud[g] = redis.call('ZRANGEBYSCORE', prefix .. 'f:' .. ARGV[i], '(' .. ARGV[i + 1], ARGV[i + 2], 'WITHSCORES')
  i = i + 3
end
return { counts, fraud }
`;
