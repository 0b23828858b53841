/**
 * Lua scripts of the Redis feature state. Each runs atomically, so concurrent workers touching the same terminal or
 * the same transaction never interleave inside one of them (no read-modify-write across round trips).
 *
 * Keys, under the injected prefix P (use a hash tag such as `{fs:card-payments}:` on Redis Cluster: the batch
 * scripts touch many entities and build key names inside Lua):
 *   P c:<customer>  string: append-only history behind a 32-byte generation header (below), then 32-byte records of
 *                   four little-endian float64 (event time ms, amount minor units, partition, offset)
 *   P l:<terminal>  string: append-only log behind a 24-byte generation header, one block per write:
 *                   [n, n event times of transactions new to the terminal, trim cutoff] (little-endian float64); a
 *                   block's cutoff drops the earlier times below it. Workers count terminal windows on their replica
 *                   of it (feature-replica.ts).
 *   P f:<terminal>  sorted set: member "<reportedAt>:<transaction id>", score the transaction's event time
 *   P i:<tx>        string "<claim time>:<partition>:<offset>:<first time>:<reportedAt or empty>:<terminal>": the
 *                   claim duplicate detection reads (SET NX GET: the latest recording of the id that was no duplicate)
 *                   and, from the fourth field on, the transaction index labels join through (its first recording).
 *                   Its answer also says whether the record is new to its terminal (a replay is not), so terminals
 *                   need no set of members beside their log. (State written before this layout: x:<tx>
 *                   "<time>:<reportedAt>:<terminal>", which labels still join through, d:<tx> and t:<terminal>,
 *                   which expire unread.)
 *   P r:<tx>        set of "<time>:<terminal>": recordings of an id reused beyond the duplicate horizon (rare), so
 *                   that one replayed after a later reuse took the claim is not counted twice
 *   P absorbed      hash partition → next input offset the state has absorbed (no TTL): the marker a worker checks
 *   P p:<tx>        string "<reportedAt>": a fraud report waiting for its transaction
 *   P rewrites      string: the header of the latest rewrite (creation, trim, compaction, deletion) of any log, the
 *                   rewrite token: while it is what a writer saw last, its checked replicas need no header read
 *   P fraud-terminals  set of terminals with fraud reports: one SMISMEMBER per batch instead of one read per
 *                   terminal (most terminals have none); its TTL is refreshed with each f: key it names
 * Every key carries a TTL (the feature retention) refreshed on write, so abandoned entities disappear.
 *
 * Generation header: the magic LOG_MAGIC (8 bytes), the writer's per-batch nonce (8 bytes), a counter (float64); a
 * customer's is padded to 32 bytes. Every (re)write of a log other than an append (creation, trim, compaction) writes
 * a new one, so a replica that names the header and the length it holds can be sent only what was appended since. A
 * customer history without header (written by an older version) gets one the first time the script reads it whole.
 *
 * The scripts store and count; they never decide which window a record belongs to (that is core code, shared
 * with the memory backend). Numbers cross as decimal strings and are used as given, so no precision is lost.
 */

/**
 * ARGV: prefix, ttlMs, duplicateHorizonMs,
 *   progress: "<partition> <expected> <from> <to> ..." (empty in the backfill or a rebuild),
 *   magic (8 bytes), nonce (8 bytes),
 *   the rewrite token the writer saw after its previous batch ('' at first), "0101..." per customer and per terminal
 *   (1: trusted, its replica's header was checked since the writer last saw another writer's rewrite),
 *   customerCount, "<record count> ..." per customer, the customers' records (binary, customer after customer),
 *   then per customer: id,
 *   "<known length> ..." per customer (-1: no replica), the known headers (24 bytes per customer, concatenated),
 *   maintainedCount, then per maintained customer: its 1-based index above, trimBeforeMs,
 *   terminalCount, "<refresh 1|0> <trimBeforeMs> <known length> <compact 1|0> ..." per terminal,
 *   "<n> <record> ... <record> ..." per terminal (its n records: 0-based indices into the records below),
 *   then per terminal: id,
 *   the terminals' known headers (24 bytes each, concatenated),
 *   the terminals' log blocks as they are when every record is new to its terminal (the usual case), concatenated in
 *   terminal order: [n, the n records' event times, trimBeforeMs] as little-endian float64 (the script builds a
 *   terminal's block itself only when one of its records is a duplicate or a replay),
 *   recordCount, "<time> <partition> <offset> <record> ..." per record in log order (<record>: its 0-based index in
 *   the customers' binary records, customer after customer), then the transaction ids in the same (log) order.
 * Numbers travel packed in space-separated strings: each separate argument costs the client about a microsecond
 * to encode, and a batch has thousands. Ids stay separate arguments (they may contain any byte).
 *
 * Steps, in this order, all or nothing:
 *  1. The absorbed-offset marker (hash P absorbed, field = partition, value = next offset to absorb): if any
 *     partition's marker is missing or below what the writer expects, return {'behind', partition, marker, expected}
 *     having written nothing.
 *  2. Claim each transaction id (SET i:<tx> NX GET): a record whose id is held by another position with an event time
 *     within the duplicate horizon is a duplicate, and steps 3 and 4 skip it; one beyond the horizon takes the claim.
 *     A new key means a new transaction: new to its terminal and indexed for labels.
 *  3. Append customer records; trim the maintained customers (lazily: reads never look below the cutoffs).
 *  4. Append each terminal's new times and its cutoff to its log; refresh TTLs and compact logs when asked.
 *  5. Join waiting fraud reports to newly recorded transactions; advance the markers.
 *  6. Answer the batch's entities: per customer and terminal the log bytes after the known length (header unchanged)
 *     or the whole log (reset), and per terminal with fraud reports its f: set, trimmed to the terminal's cutoff
 *     (the trim the state port asks of every write, done where the set is read).
 * Returns {{'ok', record, "<partition>:<offset>", ...} (the duplicates, 0-based record indices),
 *   customer resets "0101...", customer bytes, terminal resets, terminal bytes, fraud [member, score, ...] lists,
 *   1 when the rewrite token was the one the writer named (else 0: trust nothing checked before), the token now}.
 *
 * Redis calls are the other cost (each one a few microseconds from Lua), so the script makes few per record:
 * one SET NX GET per transaction (claim and index in one key); per customer and per terminal one APPEND, and one
 * GETRANGE of the header only when another writer rewrote a log since the replica was checked (the rewrite token);
 * when nobody else appended since the replica, the answer is what the script appended; the f: read (and, when
 * its lowest score is below the cutoff, its trim) only where the terminal has fraud reports. Needs Redis 7.0 or later (SET with both NX and GET).
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
local magic = ARGV[5]
local nonce = ARGV[6]
local generations = 0
-- The rewrite token (P rewrites): the header of the latest rewrite of any log, by any writer. When it is what the
-- writer saw after its previous batch, nobody else rewrote a log since, and a replica it has checked since its last
-- sight of another writer's rewrite (trusted) has the log's header: no header read needed.
local tokenKey = prefix .. 'rewrites'
local tokenUnchanged = redis.call('GET', tokenKey) == ARGV[7]
local latestHeader = nil
-- Logs this script rewrote (new header or deleted): their replicas are answered whole.
local rewritten = {}
local function newHeader()
  generations = generations + 1
  latestHeader = magic .. nonce .. struct.pack('<d', generations)
  return latestHeader
end
local customerPad = string.rep(string.char(0), 8)

local customerTrust = ARGV[8]
local terminalTrust = ARGV[9]
local i = 10
local customers = tonumber(ARGV[i])
local customerCounts = {}
for count in string.gmatch(ARGV[i + 1], '%S+') do customerCounts[#customerCounts + 1] = tonumber(count) end
local customerRecords = ARGV[i + 2]
local customerAt = i + 3
i = i + 3 + customers
local customerKnown = {}
for known in string.gmatch(ARGV[i], '%S+') do customerKnown[#customerKnown + 1] = tonumber(known) end
local customerHeaders = ARGV[i + 1]
i = i + 2
local maintainedAt = i
local maintained = tonumber(ARGV[i]); i = i + 1 + maintained * 2
local terminals = tonumber(ARGV[i])
local terminalFlags = ARGV[i + 1]
local terminalLists = ARGV[i + 2]
local terminalsAt = i + 3
i = i + 3 + terminals
local terminalHeaders = ARGV[i]
local terminalBlocks = ARGV[i + 1]
i = i + 2
local recordCount = tonumber(ARGV[i])
local packed = ARGV[i + 1]
local idsAt = i + 2

-- Which terminal each record belongs to (the terminal section lists its records).
local terminalIds = {}
local terminalRecords = {}
local terminalOf = {}
for g = 1, terminals do terminalIds[g] = ARGV[terminalsAt + g - 1] end
do
  local g = 0
  local left = 0
  local list = nil
  for value in string.gmatch(terminalLists, '%S+') do
    local v = tonumber(value)
    if left == 0 then
      -- A terminal's count (0 for one whose every record repeats an earlier one of the batch).
      g = g + 1
      list = {}
      terminalRecords[g] = list
      left = v
    else
      list[#list + 1] = v
      terminalOf[v] = g
      left = left - 1
    end
  end
  if g ~= terminals then
    return redis.error_reply('record batch: record lists for ' .. g .. ' of ' .. terminals .. ' terminals')
  end
end

-- Claims and the label index: one key per transaction id, i:<tx> (layout above). Its answer says what the record is:
-- new (no key), the same record again, a duplicate, or the id reused beyond the horizon.
local duplicate = {}
local newToTerminal = {}
local result = { 'ok' }
local times = {}
local claimOf = {}
local idOf = {}
local newRecords = {}
local n = 0
for time, partition, offset, record in string.gmatch(packed, '(%S+) (%S+) (%S+) (%S+)') do
  local k = tonumber(record)
  local tx = ARGV[idsAt + n]
  n = n + 1
  -- A record listed under no terminal repeats an earlier one of the batch (same id, terminal and time): a duplicate.
  local terminal = terminalIds[terminalOf[k]] or ''
  local key = prefix .. 'i:' .. tx
  local claim = time .. ':' .. partition .. ':' .. offset
  times[k] = time
  idOf[k] = tx
  claimOf[k] = claim
  local first = redis.call('SET', key, claim .. ':' .. time .. '::' .. terminal, 'NX', 'PX', ttl, 'GET')
  if not first then
    -- New: recorded at its terminal, indexed for labels, and may join a waiting report. (A record listed under no
    -- terminal always finds the key its earlier twin of the batch created; were it ever new, it joins nothing.)
    if terminal ~= '' then
      newToTerminal[k] = true
      newRecords[#newRecords + 1] = k
    end
  else
    local a = string.find(first, ':', 1, true)
    local b = string.find(first, ':', a + 1, true)
    local c = string.find(first, ':', b + 1, true)
    local firstPartition = string.sub(first, a + 1, b - 1)
    local firstOffset = string.sub(first, b + 1, c - 1)
    if firstPartition == partition and firstOffset == offset then
      -- The same record again (a replayed batch): its terminal holds it already.
    elseif math.abs(tonumber(time) - tonumber(string.sub(first, 1, a - 1))) <= horizon then
      duplicate[k] = true
      result[#result + 1] = k
      result[#result + 1] = firstPartition .. ':' .. firstOffset
    else
      -- The id reused beyond the horizon: a new transaction, which later repeats are measured against. The index
      -- (first recording, reports) stays. It is new to its terminal unless an earlier recording of the id held this
      -- (time, terminal): that one replayed after the reuse took the claim (r:<tx> remembers the reuses).
      redis.call('SET', key, claim .. string.sub(first, c), 'PX', ttl)
      local d = string.find(first, ':', c + 1, true)
      local e = string.find(first, ':', d + 1, true)
      local indexed = string.sub(first, c + 1, d - 1) == time and string.sub(first, e + 1) == terminal
      local reusesKey = prefix .. 'r:' .. tx
      if not indexed and redis.call('SADD', reusesKey, time .. ':' .. terminal) == 1 then
        redis.call('PEXPIRE', reusesKey, ttl)
        newToTerminal[k] = true
      end
    end
  end
end
if n ~= recordCount then
  return redis.error_reply('record batch: ' .. n .. ' packed records for ' .. recordCount .. ' ids')
end

-- Customers: append the batch's records, less duplicates.
local customerKeys = {}
-- What this script appended to each log, and the log's length after it: when the length is the replica's plus that,
-- nobody else wrote in between, and the answer is what was appended (no GETRANGE).
local customerAppended = {}
local customerLength = {}
local k = 0
local recordAt = 1
for c = 1, customers do
  local key = prefix .. 'c:' .. ARGV[customerAt + c - 1]
  local count = customerCounts[c]
  local records = string.sub(customerRecords, recordAt, recordAt + count * 32 - 1)
  recordAt = recordAt + count * 32
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
  customerAppended[c] = kept
  if #kept > 0 then
    customerLength[c] = redis.call('APPEND', key, kept)
    if customerLength[c] == #kept then
      -- A new history: it starts with a header.
      redis.call('SET', key, newHeader() .. customerPad .. kept, 'PX', ttl)
      rewritten[key] = true
    end
  end
end
for m = 1, maintained do
  local key = customerKeys[tonumber(ARGV[maintainedAt + 1 + (m - 1) * 2])]
  local cutoff = tonumber(ARGV[maintainedAt + 2 + (m - 1) * 2])
  -- Drop the prefix of records older than the cutoff, atomically, in place of the key (with a new header).
  if redis.call('PEXPIRE', key, ttl) == 1 then
    local head = redis.call('GETRANGE', key, 0, 39)
    local body = 1
    if string.sub(head, 1, 8) == magic then body = 33 end
    local oldest = #head >= body + 7 and struct.unpack('<d', head, body) or cutoff
    if oldest < cutoff or body == 1 then
      local history = redis.call('GET', key)
      local count = (#history - body + 1) / 32
      local drop = 0
      while drop < count and struct.unpack('<d', history, body + drop * 32) < cutoff do
        drop = drop + 1
      end
      if drop == count then
        redis.call('DEL', key)
        newHeader()
      else
        redis.call('SET', key, newHeader() .. customerPad .. string.sub(history, body + drop * 32), 'PX', ttl)
      end
      rewritten[key] = true
    end
  end
end

-- Terminals. Which of them have fraud reports (the f: trim and the answer are only needed for those).
local hasFraud = {}
for from = 1, terminals, 1000 do
  local to = math.min(from + 999, terminals)
  local known = redis.call('SMISMEMBER', prefix .. 'fraud-terminals', unpack(terminalIds, from, to))
  for g = from, to do hasFraud[terminalIds[g]] = known[g - from + 1] == 1 end
end

-- A log's live times: those not below any later block's cutoff. Rewritten as one block behind a new header.
local function compactLog(log)
  local blocks = {}
  local at = 25
  while at + 7 <= #log do
    local count = struct.unpack('<d', log, at)
    local cutoff = struct.unpack('<d', log, at + 8 + count * 8)
    blocks[#blocks + 1] = { at + 8, count, cutoff }
    at = at + 16 + count * 8
  end
  local floor = -math.huge
  local live = {}
  for b = #blocks, 1, -1 do
    local block = blocks[b]
    if block[3] > floor then floor = block[3] end
    for e = 0, block[2] - 1 do
      local from = block[1] + e * 8
      if struct.unpack('<d', log, from) >= floor then live[#live + 1] = string.sub(log, from, from + 7) end
    end
  end
  return newHeader() .. struct.pack('<d', #live) .. table.concat(live) .. struct.pack('<d', -math.huge)
end

local terminalKnown = {}
local terminalCutoff = {}
local terminalAppended = {}
local terminalLength = {}
local blockAt = 1
local flagsOf = string.gmatch(terminalFlags, '(%S+) (%S+) (%S+) (%S+)')
for g = 1, terminals do
  local terminal = terminalIds[g]
  local flag, cutoff, known, compact = flagsOf()
  terminalKnown[g] = tonumber(known)
  local logKey = prefix .. 'l:' .. terminal
  local members = terminalRecords[g]
  local blockEnd = blockAt + 15 + #members * 8
  local block = nil
  for _, r in ipairs(members) do
    if not newToTerminal[r] then
      local added = {}
      for _, q in ipairs(members) do
        if newToTerminal[q] then added[#added + 1] = struct.pack('<d', tonumber(times[q])) end
      end
      block = struct.pack('<d', #added) .. table.concat(added) .. struct.pack('<d', tonumber(cutoff))
      break
    end
  end
  if not block then block = string.sub(terminalBlocks, blockAt, blockEnd) end
  blockAt = blockEnd + 1
  terminalAppended[g] = block
  terminalLength[g] = redis.call('APPEND', logKey, block)
  if terminalLength[g] == #block then
    redis.call('SET', logKey, newHeader() .. block, 'PX', ttl)
    rewritten[logKey] = true
  elseif compact == '1' then
    redis.call('SET', logKey, compactLog(redis.call('GET', logKey)), 'PX', ttl)
    rewritten[logKey] = true
  end
  terminalCutoff[g] = cutoff
  if flag == '1' then
    local fraudKey = prefix .. 'f:' .. terminal
    redis.call('PEXPIRE', logKey, ttl)
    -- The set is refreshed with every f: key it names, so it never expires before one of them.
    if redis.call('PEXPIRE', fraudKey, ttl) == 0 then
      if hasFraud[terminal] then
        redis.call('SREM', prefix .. 'fraud-terminals', terminal)
        hasFraud[terminal] = false
      end
    else
      redis.call('SADD', prefix .. 'fraud-terminals', terminal)
      redis.call('PEXPIRE', prefix .. 'fraud-terminals', ttl)
      hasFraud[terminal] = true
    end
  end
end

-- New transactions join their waiting fraud reports.
for from = 1, #newRecords, 500 do
  local to = math.min(from + 499, #newRecords)
  local keys = {}
  for n = from, to do
    keys[#keys + 1] = prefix .. 'p:' .. idOf[newRecords[n]]
  end
  local reported = redis.call('MGET', unpack(keys))
  for n = from, to do
    local at = reported[n - from + 1]
    if at then
      local k = newRecords[n]
      local tx = idOf[k]
      local time = times[k]
      local terminal = terminalIds[terminalOf[k]]
      local fraudKey = prefix .. 'f:' .. terminal
      redis.call('DEL', keys[n - from + 1])
      redis.call('ZADD', fraudKey, time, at .. ':' .. tx)
      redis.call('PEXPIRE', fraudKey, ttl)
      redis.call('SADD', prefix .. 'fraud-terminals', terminal)
      redis.call('PEXPIRE', prefix .. 'fraud-terminals', ttl)
      redis.call('SET', prefix .. 'i:' .. tx, claimOf[k] .. ':' .. time .. ':' .. at .. ':' .. terminal, 'KEEPTTL')
      hasFraud[terminal] = true
    end
  end
end

for n = 1, #progress do
  local entry = progress[n]
  if entry[4] > markers[n] then
    redis.call('HSET', markerKey, entry[1], entry[4])
  end
end

-- The answer: what each replica lacks.
-- A trusted replica of a log this script appended to (so it exists) and did not rewrite has the log's header: only
-- appends happened since it was checked. Any other needs the header read.
local function since(key, known, trusted, headers, n, appended, length)
  if known < 0 then return '1', redis.call('GET', key) or '' end
  if (trusted and length and not rewritten[key])
    or redis.call('GETRANGE', key, 0, 23) == string.sub(headers, (n - 1) * 24 + 1, n * 24) then
    if length == known + #appended then return '0', appended end
    return '0', redis.call('GETRANGE', key, known, -1)
  end
  return '1', redis.call('GET', key) or ''
end
local customerResets = {}
local customerBytes = {}
for c = 1, customers do
  local key = customerKeys[c]
  local trusted = tokenUnchanged and string.byte(customerTrust, c) == 49
  local reset, bytes = since(
    key, customerKnown[c], trusted, customerHeaders, c, customerAppended[c], customerLength[c]
  )
  if reset == '1' and #bytes > 0 and string.sub(bytes, 1, 8) ~= magic then
    -- A history written without header: it gets one now.
    bytes = newHeader() .. customerPad .. bytes
    redis.call('SET', key, bytes, 'KEEPTTL')
  end
  customerResets[c] = reset
  customerBytes[c] = bytes
end
local terminalResets = {}
local terminalBytes = {}
local fraud = {}
for g = 1, terminals do
  local terminal = terminalIds[g]
  local trusted = tokenUnchanged and string.byte(terminalTrust, g) == 49
  terminalResets[g], terminalBytes[g] = since(
    prefix .. 'l:' .. terminal, terminalKnown[g], trusted, terminalHeaders, g,
    terminalAppended[g], terminalLength[g]
  )
  if hasFraud[terminal] then
    -- The set is trimmed to the terminal's cutoff here, where it is read anyway, rather than on every write: most
    -- batches find nothing below the cutoff (the first score), and joins of this batch only add above it.
    local fraudKey = prefix .. 'f:' .. terminal
    local reports = redis.call('ZRANGE', fraudKey, 0, -1, 'WITHSCORES')
    local cutoff = tonumber(terminalCutoff[g])
    if #reports > 0 and tonumber(reports[2]) < cutoff then
      redis.call('ZREMRANGEBYSCORE', fraudKey, '-inf', '(' .. terminalCutoff[g])
      local kept = {}
      for n = 1, #reports, 2 do
        if tonumber(reports[n + 1]) >= cutoff then
          kept[#kept + 1] = reports[n]
          kept[#kept + 1] = reports[n + 1]
        end
      end
      if #kept == 0 then redis.call('SREM', prefix .. 'fraud-terminals', terminal) end
      reports = kept
    end
    fraud[g] = reports
  else
    fraud[g] = {}
  end
end
local token = ARGV[7]
if latestHeader then
  redis.call('SET', tokenKey, latestHeader, 'PX', ttl)
  token = latestHeader
elseif not tokenUnchanged then
  token = redis.call('GET', tokenKey) or ''
end
return {
  result, table.concat(customerResets), customerBytes, table.concat(terminalResets), terminalBytes, fraud,
  tokenUnchanged and 1 or 0, token
}
`;

/**
 * ARGV: prefix, ttlMs, then per report: transaction id, reportedAtMs.
 * Joins the report to its transaction if indexed (i:, or x: written by an earlier layout; keeping the earliest
 * report), else keeps it pending (earliest).
 */
export const RECORD_FRAUD_LUA = `
local prefix = ARGV[1]
local ttl = ARGV[2]
-- Joins a report to the transaction indexed at entry ("<first time>:<reportedAt>:<terminal>" from the 'from'th
-- byte of the key's value); returns the value to store, or nil when an earlier report is kept.
local function join(value, from, tx, reported)
  local a = string.find(value, ':', from, true)
  local b = string.find(value, ':', a + 1, true)
  local time = string.sub(value, from, a - 1)
  local known = string.sub(value, a + 1, b - 1)
  local terminal = string.sub(value, b + 1)
  if known ~= '' and tonumber(reported) >= tonumber(known) then return nil end
  local fraudKey = prefix .. 'f:' .. terminal
  if known ~= '' then
    redis.call('ZREM', fraudKey, known .. ':' .. tx)
  end
  redis.call('ZADD', fraudKey, time, reported .. ':' .. tx)
  redis.call('PEXPIRE', fraudKey, ttl)
  redis.call('SADD', prefix .. 'fraud-terminals', terminal)
  redis.call('PEXPIRE', prefix .. 'fraud-terminals', ttl)
  return string.sub(value, 1, from - 1) .. time .. ':' .. reported .. ':' .. terminal
end
for i = 3, #ARGV, 2 do
  local tx = ARGV[i]
  local reported = ARGV[i + 1]
  local indexKey = prefix .. 'i:' .. tx
  local entry = redis.call('GET', indexKey)
  local from = 1
  if entry then
    -- Past the claim "<time>:<partition>:<offset>:".
    from = string.find(entry, ':', string.find(entry, ':', string.find(entry, ':', 1, true) + 1, true) + 1, true) + 1
  else
    -- State written before claims and the index shared a key: x:<tx> = "<time>:<reportedAt>:<terminal>".
    indexKey = prefix .. 'x:' .. tx
    entry = redis.call('GET', indexKey)
  end
  if entry then
    local joined = join(entry, from, tx, reported)
    if joined then redis.call('SET', indexKey, joined, 'KEEPTTL') end
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
 * ARGV: prefix, then customerCount, customer ids, then terminalCount, terminal ids. The whole logs and the fraud
 * sets: what a replica starts from when a read names an entity that the preceding record did not answer.
 * Returns { customer logs, terminal logs, fraud [member, score, ...] lists } ('' for a missing log).
 */
export const READ_STATE_LUA = `
local prefix = ARGV[1]
local customers = tonumber(ARGV[2])
local customerLogs = {}
for c = 1, customers do
  customerLogs[c] = redis.call('GET', prefix .. 'c:' .. ARGV[2 + c]) or ''
end
local terminals = tonumber(ARGV[3 + customers])
local terminalLogs = {}
local fraud = {}
for g = 1, terminals do
  local terminal = ARGV[3 + customers + g]
  terminalLogs[g] = redis.call('GET', prefix .. 'l:' .. terminal) or ''
  if redis.call('SISMEMBER', prefix .. 'fraud-terminals', terminal) == 1 then
    fraud[g] = redis.call('ZRANGE', prefix .. 'f:' .. terminal, 0, -1, 'WITHSCORES')
  else
    fraud[g] = {}
  end
end
return { customerLogs, terminalLogs, fraud }
`;
