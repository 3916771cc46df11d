-- wrk script: Open311 POST /open311/v2/requests.json, form-encoded, each a new request (GeoReport v2
-- requests carry no call id, so every POST is recorded). The api_key comes from $DEFTER_OPEN311_KEY.
local key = os.getenv("DEFTER_OPEN311_KEY") or error("set DEFTER_OPEN311_KEY")
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local body = "api_key=" .. key
    .. "&service_code=fen-isleri.yol-cukuru&address_string=K%C3%BCmbet%20Mah.%2C%20Elbistan"
    .. "&description=Caddede%20yol%20%C3%A7%C3%B6kt%C3%BC%2C%20ara%C3%A7lar%20ge%C3%A7emiyor"

function request()
    return wrk.format("POST", "/open311/v2/requests.json", headers, body)
end

function done(summary, latency, requests)
    io.write(string.format("responses of 400 or more: %d\n", summary.errors.status))
end
