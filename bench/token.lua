-- wrk script: a client_credentials token request, form body, HTTP Basic client authentication.
-- Env: AUTHORIZATION ("Basic <base64 key:secret>"), FORM (default grant_type=client_credentials).
wrk.method = "POST"
wrk.body = os.getenv("FORM") or "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("AUTHORIZATION")

-- Count answers by status, so that errors are visible and not just fast.
local statuses = {}
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init()
  counts = {}
end
function response(status)
  counts[status] = (counts[status] or 0) + 1
end
function done()
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("status %d: %d\n", status, n)) end
end
