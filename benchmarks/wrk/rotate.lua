-- wrk script: rotate requests over the lines of the file named by WRK_LINES, count answers by status.
-- Each line is "path<TAB>cookie<TAB>body"; cookie and body may be empty. WRK_METHOD (default GET) is the
-- method; a non-empty body is sent as WRK_CONTENT_TYPE (default application/json). Each thread starts at
-- its own place in the list, so N pre-logged-in candidates are requested in turn.
local lines = {}
local method = os.getenv("WRK_METHOD") or "GET"
local content_type = os.getenv("WRK_CONTENT_TYPE") or "application/json"
for line in io.lines(os.getenv("WRK_LINES")) do
  local path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
  if path == nil then path, cookie, body = line, "", "" end
  lines[#lines + 1] = { path, cookie, body }
end

local threads = {}
local position = 1
statuses = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  position = (thread_number * 7919) % #lines + 1
  statuses = {}
end

function request()
  local item = lines[position]
  position = position % #lines + 1
  local headers = {}
  if item[2] ~= "" then headers["Cookie"] = item[2] end
  local body = nil
  if item[3] ~= "" then
    headers["Content-Type"] = content_type
    body = item[3]
  end
  return wrk.format(method, item[1], headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses")
    for status, count in pairs(counted) do totals[status] = (totals[status] or 0) + count end
  end
  io.write("STATUSES")
  for status, count in pairs(totals) do io.write(string.format(" %d=%d", status, count)) end
  io.write("\n")
  io.write(string.format("LATENCY p50=%d p90=%d p99=%d max=%d\n", latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
  io.write(string.format("SUMMARY requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout))
end
