-- wrk script: client_credentials token requests, form body, HTTP Basic client authentication.
--
-- Env:
--   CREDENTIALS  a file of lines "<path>\t<Authorization value>", for example
--                "/t/acme.com/token\tBasic a2V5OnNlY3JldA==" (bench/seed.py writes 20,000 of them).
--                Each thread walks the whole list round robin, starting at its own offset, so every line is
--                used and the threads do not move in step. A file of one line is the single-client scenario.
--                An optional third column "\t<form>" is that request's body instead of FORM.
--                Without CREDENTIALS: the URL's path and the AUTHORIZATION variable (the old quick.sh way).
--   FORM         the body (default grant_type=client_credentials).
--   PASS_THREADS, PASS_DONE_DIR
--                one pass: with PASS_THREADS set to wrk's -t, thread i takes the i-th slice of the list, sends
--                each of its requests once, and, when all are answered, writes PASS_DONE_DIR/<i> and stops.
--                wrk itself runs to -d, so the caller stops it (SIGINT) once every thread's file is there.
--                run.sh uses it to warm the server's cache with every credential before measuring.
--
-- Every request is built once, in init(); request() only hands the next one out, so the client costs the same
-- for 1 or 20,000 credentials. response() tallies statuses, so that every non-2xx answer is counted (wrk's
-- own "Non-2xx or 3xx responses" line counts only statuses above 399); done() prints "status N: count".
local body = os.getenv("FORM") or "grant_type=client_credentials"
local credentials = os.getenv("CREDENTIALS")

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads)
end

function init(args)
  counts = {}
  requests = {}
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  if credentials then
    for line in io.lines(credentials) do
      -- An optional third column is the line's own body (introspection: token=...; password: its user).
      local path, authorization, form = line:match("^([^\t]+)\t([^\t]+)\t?(.*)$")
      if path then
        headers["Authorization"] = authorization
        requests[#requests + 1] = wrk.format("POST", path, headers, form ~= "" and form or body)
      end
    end
  else
    headers["Authorization"] = os.getenv("AUTHORIZATION")
    requests[1] = wrk.format("POST", wrk.path, headers, body)
  end
  if #requests == 0 then
    error("token.lua: no credentials in " .. tostring(credentials))
  end
  local pass_threads = tonumber(os.getenv("PASS_THREADS") or "")
  if pass_threads then
    local i = thread_index or 1
    first = math.floor((i - 1) * #requests / pass_threads) + 1
    last = math.floor(i * #requests / pass_threads)
    if last < first then first, last = 1, 1 end -- more threads than credentials
    next_request = first
    answered = 0
  else
    -- Spread the threads' starting points over the list (golden-ratio steps: well apart for any thread count).
    first, last = 1, #requests
    next_request = math.floor(((thread_index or 1) - 1) * 0.6180339887 % 1 * #requests) + 1
  end
end

function request()
  local r = requests[next_request]
  next_request = next_request < last and next_request + 1 or first
  return r
end

function response(status)
  counts[status] = (counts[status] or 0) + 1
  if answered then
    answered = answered + 1
    if answered == last - first + 1 then
      local marker = io.open(os.getenv("PASS_DONE_DIR") .. "/" .. (thread_index or 1), "w")
      if marker then marker:close() end
      wrk.thread:stop()
    end
  end
end

function done()
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  local statuses = {}
  for status in pairs(total) do statuses[#statuses + 1] = status end
  table.sort(statuses)
  for _, status in ipairs(statuses) do io.write(string.format("status %d: %d\n", status, total[status])) end
end
