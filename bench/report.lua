-- wrk script: sends the bench session's headers and prints one JSON line of results.
-- Headers come from the environment: BENCH_COOKIE (Cookie) and BENCH_AUTHORIZATION.
local cookie = os.getenv("BENCH_COOKIE")
local authorization = os.getenv("BENCH_AUTHORIZATION")
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
if authorization and authorization ~= "" then wrk.headers["Authorization"] = authorization end
wrk.headers["Accept-Language"] = "en"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
