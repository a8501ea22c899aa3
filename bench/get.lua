-- GET one address; at the end print one JSON line the runner reads (latencies in µs).
-- wrk -s bench/get.lua http://127.0.0.1:PORT/path/

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'DATELINE_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": %d, "non_2xx_3xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
