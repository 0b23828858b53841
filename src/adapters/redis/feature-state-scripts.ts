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
 *   P d:<tx>        string "<eventTime>:<partition>:<offset>": the claim duplicate detection reads (SET NX GET), the
 *                   latest recording of the id that was no duplicate; TTL three duplicate horizons
 *   P absorbed      hash partition → next input offset the state has absorbed (no TTL): the marker a worker checks
 *   P p:<tx>        string "<reportedAt>": a fraud report waiting for its transaction
 *   P fraud-terminals  set of terminals with fraud reports: one SMISMEMBER per batch instead of one read per
 *                   terminal (most terminals have none); its TTL is refreshed with each f: key it names
 * Every key carries a TTL (the feature retention) refreshed on write, so abandoned entities disappear.
 *
 * The scripts store and count; they never decide which window a record belongs to (that is core code, shared
 * with the memory backend). Numbers cross as decimal strings and are used as given, so no precision is lost.
 */

/**
 * ARGV: prefix, ttlMs, duplicateHorizonMs,
 *   progress: "<partition> <expected> <from> <to> ..." (empty in the backfill or a rebuild),
 *   customerCount, then per customer: id, records (binary),
 *   maintainedCount, then per maintained customer: its 1-based index above, trimBeforeMs,
 *   terminalCount, then per terminal: id, "<refresh 1|0> <trimBeforeMs>", "<record> <record> ..." (0-based indices
 *   into the records below),
 *   recordCount, "<time> <partition> <offset> <record> ..." per record in log order (<record>: its 0-based index in
 *   the customers' binary records, customer after customer), then the transaction ids in the same (log) order.
 * Numbers travel packed in space-separated strings: each separate argument costs the client about a microsecond
 * to encode, and a batch has thousands. Ids stay separate arguments (they may contain any byte).
 *
 * Steps, in this order, all or nothing:
 *  1. The absorbed-offset marker (hash P absorbed, field = partition, value = next offset to absorb): if any
 *     partition's marker is missing or below what the writer expects, return {'behind', partition, marker, expected}
 *     having written nothing.
 *  2. Claim each transaction id (SET d:<tx> NX GET): a record whose id is held by another position with an event time
 *     within the duplicate horizon is a duplicate, and steps 3 and 4 skip it; one beyond the horizon takes the claim.
 *  3. Append customer records; trim the maintained customers (lazily: reads never look below the cutoffs).
 *  4. Add terminal members and trim every terminal of the batch at its cutoff (on every write, as the memory state
 *     does: a terminal count is answered by the backend, so both must hold the same entries); refresh TTLs when asked.
 *  5. Join waiting fraud reports to newly recorded transactions; advance the markers.
 * Returns {'ok', record, "<partition>:<offset>", ...} with the duplicates (0-based record indices).
 *
 * Redis calls are the other cost (each one a few microseconds from Lua), so the script makes few per record:
 * one APPEND per customer, one SET NX GET (claim) and one SET NX (label index) per transaction, one ZADD and two
 * ZREMRANGEBYSCORE per terminal, one MGET
 * for pending reports. Needs Redis 7.0 or later (SET with both NX and GET).
 */
export const RECORD_BATCH_LUA = `
local prefix = ARGV[1]
local ttl = ARGV[2]
local horizon = tonumber(ARGV[3])
local markerKey = prefix .. 'absorbed' -- absorbed-marker.ts: ABSORBED_KEY

local progress = {}
for partition, expected, from, to in string.gmatch(ARGV[4], '(%S+) (%S+) (%S+) (%S+)') do
  progress[#progress + 1] = { partition, tonumber(expected), tonumber(from), tonumber(to) }
end
local markers = {}
if #progress > 0 then
  local fields = {}
  for n = 1, #progress do fields[n] = progress[n][1] end
  local known = redis.call('HMGET', markerKey, unpack(fields))
  for n = 1, #progress do
    local entry = progress[n]
    local marker = known[n] and tonumber(known[n])
    local behind
    if marker then
      behind = marker < entry[2]
    else
      behind = entry[2] >= 0 or entry[3] > 0
    end
    if behind then
      return { 'behind', entry[1], known[n] or '', tostring(math.max(entry[2], entry[3])) }
    end
    markers[n] = marker or 0
  end
end
local i = 5

local customers = tonumber(ARGV[i]); i = i + 1
local customerAt = i
i = i + customers * 2
local maintainedAt = i
local maintained = tonumber(ARGV[i]); i = i + 1 + maintained * 2
local terminalsAt = i
local terminals = tonumber(ARGV[i]); i = i + 1 + terminals * 3
local recordCount = tonumber(ARGV[i])
local packed = ARGV[i + 1]
local idsAt = i + 2

-- Claims: one key per transaction id, "<time>:<partition>:<offset>" of its latest recording that was no duplicate.
local duplicate = {}
local result = { 'ok' }
local times = {}
local claimTtl = tostring(3 * horizon)
local idOf = {}
local n = 0
for time, partition, offset, record in string.gmatch(packed, '(%S+) (%S+) (%S+) (%S+)') do
  local k = tonumber(record)
  idOf[k] = ARGV[idsAt + n]
  n = n + 1
  local claimKey = prefix .. 'd:' .. idOf[k]
  local claim = time .. ':' .. partition .. ':' .. offset
  times[k] = time
  local first = redis.call('SET', claimKey, claim, 'NX', 'PX', claimTtl, 'GET')
  if first and first ~= claim then
    local a = string.find(first, ':', 1, true)
    local b = string.find(first, ':', a + 1, true)
    local firstPartition = string.sub(first, a + 1, b - 1)
    local firstOffset = string.sub(first, b + 1)
    if firstPartition == partition and firstOffset == offset then
      -- The same record again (a replayed batch).
    elseif math.abs(tonumber(time) - tonumber(string.sub(first, 1, a - 1))) <= horizon then
      duplicate[k] = true
      result[#result + 1] = k
      result[#result + 1] = firstPartition .. ':' .. firstOffset
    else
      -- The id reused beyond the horizon: a new transaction, which later repeats are measured against.
      redis.call('SET', claimKey, claim, 'PX', claimTtl)
    end
  end
end
if n ~= recordCount then
  return redis.error_reply('record batch: ' .. n .. ' packed records for ' .. recordCount .. ' ids')
end

-- Customers: append the batch's records, less duplicates.
local customerKeys = {}
local k = 0
for c = 1, customers do
  local key = prefix .. 'c:' .. ARGV[customerAt + (c - 1) * 2]
  local records = ARGV[customerAt + (c - 1) * 2 + 1]
  local count = #records / 32
  customerKeys[c] = key
  local kept = records
  for r = 0, count - 1 do
    if duplicate[k + r] then
      local parts = {}
      for q = 0, count - 1 do
        if not duplicate[k + q] then parts[#parts + 1] = string.sub(records, q * 32 + 1, q * 32 + 32) end
      end
      kept = table.concat(parts)
      break
    end
  end
  k = k + count
  if #kept > 0 and redis.call('APPEND', key, kept) == #kept then
    redis.call('PEXPIRE', key, ttl)
  end
end
for m = 1, maintained do
  local key = customerKeys[tonumber(ARGV[maintainedAt + 1 + (m - 1) * 2])]
  local cutoff = tonumber(ARGV[maintainedAt + 2 + (m - 1) * 2])
  -- Drop the prefix of records older than the cutoff, atomically, in place of the key.
  if redis.call('PEXPIRE', key, ttl) == 1 then
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
end

-- Terminals. Recorded transactions, for the pending-report join below.
local newIds = {}
local newTimes = {}
local newTerminals = {}
for g = 1, terminals do
  local at = terminalsAt + 1 + (g - 1) * 3
  local terminal = ARGV[at]
  local flag, cutoff = string.match(ARGV[at + 1], '^(%S+) (%S+)$')
  local below = '(' .. cutoff
  local terminalKey = prefix .. 't:' .. terminal
  local members = {}
  for record in string.gmatch(ARGV[at + 2], '%S+') do
    local r = tonumber(record)
    if not duplicate[r] then
      local time = times[r]
      local tx = idOf[r]
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
  end
  -- unpack() is bounded by Lua's C stack: add in slices.
  for from = 1, #members, 1000 do
    redis.call('ZADD', terminalKey, unpack(members, from, math.min(from + 999, #members)))
  end
  local fraudKey = prefix .. 'f:' .. terminal
  redis.call('ZREMRANGEBYSCORE', terminalKey, '-inf', below)
  redis.call('ZREMRANGEBYSCORE', fraudKey, '-inf', below)
  if flag == '1' then
    redis.call('PEXPIRE', terminalKey, ttl)
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

for n = 1, #progress do
  local entry = progress[n]
  if entry[4] > markers[n] then
    redis.call('HSET', markerKey, entry[1], entry[4])
  end
end
return result
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
