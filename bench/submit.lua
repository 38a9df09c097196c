-- wrk script: POST one JSON response per request, each with a unique client_id.
-- Set by the runner: BENCH_PATH, BENCH_BODY (JSON with the placeholder CLIENT_ID), BENCH_RUN,
-- and BENCH_COOKIE: the cookies a phone sends, those the survey page left (its CSRF session).
local threads = {}
local path = os.getenv("BENCH_PATH")
local template = os.getenv("BENCH_BODY")
local run = os.getenv("BENCH_RUN")
local cookie = os.getenv("BENCH_COOKIE")

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  counter = 0
  ok = 0
  dup = 0
  bad = 0
  prefix = run .. "-" .. tid .. "-"
  headers = { ["Content-Type"] = "application/json" }
  if cookie and cookie ~= "" then headers["Cookie"] = cookie end
end

function request()
  counter = counter + 1
  local body = string.gsub(template, "CLIENT_ID", prefix .. counter)
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
  if status == 201 then
    ok = ok + 1
  elseif status == 200 then
    dup = dup + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local ok_n, dup_n, bad_n, sent = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    ok_n = ok_n + t:get("ok")
    dup_n = dup_n + t:get("dup")
    bad_n = bad_n + t:get("bad")
    sent = sent + t:get("counter")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"duration_us": %d, "requests": %d, "created": %d, "repeated": %d, "refused": %d, ' ..
    '"sent": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.duration, summary.requests, ok_n, dup_n, bad_n, sent,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
