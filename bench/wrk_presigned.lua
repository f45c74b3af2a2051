-- wrk script for bench/ingest.py: replays pre-signed webhook requests (bench/payloads.py).
-- Usage: wrk -t T -c C -d D -s bench/wrk_presigned.lua URL -- <requests file> <T>
-- Each thread takes every T-th request, so no event is sent twice by two threads; a thread that
-- runs out starts again from its first request and says so ("wrapped"), since repeats are
-- answered "duplicate" (a cheaper path) and would flatter the figure.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  reqs = {}
  local pos, n = 1, 0
  while pos <= #data do
    local size = tonumber(data:sub(pos, pos + 7))
    if n % nthreads == id then
      reqs[#reqs + 1] = data:sub(pos + 8, pos + 7 + size)
    end
    n = n + 1
    pos = pos + 8 + size
  end
  idx, wrapped, statuses = 0, 0, {}
end

function request()
  idx = idx + 1
  if idx > #reqs then
    idx, wrapped = 1, wrapped + 1
  end
  return reqs[idx]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged, wraps = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
    wraps = wraps + thread:get("wrapped")
  end
  local parts = {}
  for status, count in pairs(merged) do
    parts[#parts + 1] = string.format('"%d": %d', status, count)
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "wrapped": %d, "statuses": {%s}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_ms": {"p50": %.3f, "p90": %.3f, "p99": %.3f, "max": %.3f}}\n',
    summary.requests, summary.duration, wraps, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
