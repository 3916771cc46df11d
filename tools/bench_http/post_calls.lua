-- wrk script: POST /v1/calls with a call id no other request of the run uses, so every request
-- is a new, durable call (a repeated id would be answered from the log without a write).
-- The bearer token comes from $DEFTER_TOKEN; $DEFTER_RUN keeps ids apart across runs.
local threads = 0
local token = os.getenv("DEFTER_TOKEN") or error("set DEFTER_TOKEN")
local run = os.getenv("DEFTER_RUN") or tostring(os.time())

function setup(thread)
    threads = threads + 1
    thread:set("thread", threads)
end

local counter = 0
local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }

function request()
    counter = counter + 1
    local body = string.format(
        '{"callId":"wrk-%s-%d-%d","channel":"phone","operatorId":"op-bench","district":"Elbistan",'
            .. '"caller":{"text":"Caddede yol çöktü, araçlar geçemiyor"}}',
        run, thread, counter)
    return wrk.format("POST", "/v1/calls", headers, body)
end

function done(summary, latency, requests)
    io.write(string.format("responses of 400 or more: %d\n", summary.errors.status))
end
