-- POST comments, each with a text no other request uses, to Dateline's JSON API or to Isso.
-- Guests are mixed: a share of the requests (returning, in percent) reuse one of a small pool
-- of email addresses (the same pool in every run, so a returning guest has commented before),
-- the rest use an address never seen before. Counts the answers by status over all threads,
-- and writes, for every accepted (2xx) answer, the id and the text's token (marker-thread-n)
-- the answer names, so the runner can check that each accepted comment was stored exactly
-- once and that each answer named the comment it was for.
--
-- wrk -s bench/post.lua URL -- <dateline|isso> <story id | isso uri> <run marker> <ids file>
--     [<returning %, default 50> [<pool size, default 16>]]

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function init(args)
  flavour = args[1]
  target = args[2]
  marker = args[3]
  ids_file = args[4]
  returning = tonumber(args[5] or "50")
  pool = tonumber(args[6] or "16")
  n = 0
  ok = 0
  refused = 0
  from_pool = 0
  ids = {}
  statuses = {}
  headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
  if flavour == "isso" then
    path = "/new?uri=" .. target
  elseif flavour == "dateline" then
    path = "/comments/api/comments/"
  else
    error("flavour must be dateline or isso, not " .. tostring(flavour))
  end
end

function request()
  n = n + 1
  local email
  -- Spread evenly: of every 100 requests, `returning` go to the pool.
  if (n * 37) % 100 < returning then
    email = string.format("pool-%d@bench.example.org", (id * 7 + n) % pool)
    from_pool = from_pool + 1
  else
    email = string.format("fresh-%s-%d-%d@bench.example.org", marker, id, n)
  end
  local text = string.format("%s-%d-%d A reader has something to add about this.", marker, id, n)
  local author = string.format("Bench Reader %d", id)
  local body
  if flavour == "isso" then
    body = string.format(
      '{"text": %s, "author": %s, "email": %s, "website": "", "title": "Comments posted here"}',
      json_string(text), json_string(author), json_string(email))
  else
    body = string.format(
      '{"thread": {"article": %d}, "body": %s, "name": %s, "email": %s, "website": ""}',
      tonumber(target), json_string(text), json_string(author), json_string(email))
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status >= 200 and status < 300 then
    ok = ok + 1
    local comment_id = string.match(body, '"id"%s*:%s*(%d+)') or "-"
    local token = string.match(body, "(" .. marker .. "%-%d+%-%d+) ") or "-"
    ids[#ids + 1] = comment_id .. " " .. token
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local accepted, not_accepted, sent, pooled = 0, 0, 0, 0
  local by_status = {}
  local out = io.open(threads[1]:get("ids_file") or "/dev/null", "w")
  for _, thread in ipairs(threads) do
    accepted = accepted + thread:get("ok")
    not_accepted = not_accepted + thread:get("refused")
    sent = sent + thread:get("n")
    pooled = pooled + thread:get("from_pool")
    for _, answer in ipairs(thread:get("ids")) do
      out:write(answer, "\n")
    end
    for status, count in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  out:close()
  local parts = {}
  for status, count in pairs(by_status) do
    parts[#parts + 1] = string.format('"%s": %d', status, count)
  end
  local e = summary.errors
  io.write(string.format(
    'DATELINE_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": %d, "non_2xx_3xx": %d, "accepted": %d, "refused": %d, "sent": %d, ' ..
    '"from_pool": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, accepted, not_accepted, sent, pooled,
    table.concat(parts, ", ")))
end
