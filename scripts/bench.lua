-- wrk script for the read benchmark: each line of the file given after `--` is
-- "token<TAB>path[<TAB>etag]"; each thread walks the lines from its own offset: its own
-- part of the file, from a point that differs from run to run, so that in a miss file no two
-- threads (and no two runs against one server) ask for the same combination.
local lines = {}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  local f = assert(io.open(args[1], "r"))
  for l in f:lines() do lines[#lines + 1] = l end
  f:close()
  local n = tonumber(id) or 1
  math.randomseed(os.time() * 16 + n)
  -- Up to 8 threads each start in their own eighth of the file.
  local part = math.max(1, math.floor(#lines / 8))
  idx = (n - 1) * part + math.random(part) + math.floor((os.time() % 97) * part / 97)
end

function request()
  idx = idx % #lines + 1
  local token, path, etag = lines[idx]:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
  local headers = { ["Authorization"] = "Bearer " .. token, ["Accept-Encoding"] = "gzip" }
  if etag ~= nil and etag ~= "" then headers["If-None-Match"] = etag end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f p50_ms=%.3f p99_ms=%.3f non2xx=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
