-- POST comments to the JSON API, each with a text no other request uses. Counts, over all
-- threads, the answers wrk's summary lumps together — accepted (2xx/3xx) and refused — and
-- writes the id of every accepted comment to a file, so the runner can check each one was
-- stored exactly once.
-- wrk -s bench/post.lua URL -- <article id> <run marker> <file for accepted ids>

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  article = tonumber(args[1])
  marker = args[2]
  ids_file = args[3]
  n = 0
  ok = 0
  refused = 0
  ids = {}
  path = "/comments/api/comments/"
  headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
end

function request()
  n = n + 1
  local body = string.format(
    '{"thread": {"article": %d}, "body": "%s-%d-%d A reader has something to add about this.", ' ..
    '"name": "Bench Reader %d", "email": "bench-%d-%d@example.org"}',
    article, marker, id, n, id, id, n % 100)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status >= 200 and status < 400 then
    ok = ok + 1
    local comment_id = string.match(body, '"id"%s*:%s*(%d+)')
    if comment_id then
      ids[#ids + 1] = comment_id
    end
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local accepted, not_accepted, sent = 0, 0, 0
  local out = io.open(threads[1]:get("ids_file") or "/dev/null", "w")
  for _, thread in ipairs(threads) do
    accepted = accepted + thread:get("ok")
    not_accepted = not_accepted + thread:get("refused")
    sent = sent + thread:get("n")
    for _, comment_id in ipairs(thread:get("ids")) do
      out:write(comment_id, "\n")
    end
  end
  out:close()
  local e = summary.errors
  io.write(string.format(
    'DATELINE_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": %d, "non_2xx_3xx": %d, "accepted": %d, "refused": %d, "sent": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, accepted, not_accepted, sent))
end
