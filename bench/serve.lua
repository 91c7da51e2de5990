-- bench/serve.lua — wrk script of bench/serve.sh.  With APPROVE set, each
-- request allows the blocked kext of a different Mac (m-000001, m-000002,
-- ... interleaved over the threads), so every request does the work once;
-- otherwise wrk's plain GET of the URL.  done() prints one JSON line.
local approve = os.getenv("APPROVE")
local token = os.getenv("TOKEN") or ""
local nthreads = tonumber(os.getenv("THREADS") or "2")
-- id is set per thread by setup() (a global of the thread's own Lua state)
id = 0
local counter = 0
local threads = {}

function setup(thread)
	thread:set("id", #threads)
	table.insert(threads, thread)
end

function init(args)
	counter = 0
end

function request()
	if approve == nil then
		return wrk.format(nil, nil)
	end
	counter = counter + 1
	local n = (counter - 1) * nthreads + id + 1
	local path = string.format("/api/v1/devices/m-%06d/kexts/%s/approve", n, approve)
	return wrk.format("POST", path, { ["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json" }, '{"user": "admin", "password": "admin"}')
end

function done(summary, latency, requests)
	io.write(string.format('{"requests": %d, "seconds": %.3f, "non2xx": %d, "errors": %d,' ..
		' "p50_ms": %.3f, "p99_ms": %.3f}\n', summary.requests, summary.duration / 1e6,
		summary.errors.status, summary.errors.connect + summary.errors.read +
		summary.errors.write + summary.errors.timeout, latency:percentile(50) / 1000,
		latency:percentile(99) / 1000))
end
