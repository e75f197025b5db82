-- wrk script: POST /v1/events with BATCH events a request (default 100), users and items drawn
-- at random from USERS_FILE and ITEMS_FILE, times unique per thread and request so that every
-- event is new (a repeat would be recognised and not count). Used by scripts/bench-serve.sh.
local users, items = {}, {}
local key = os.getenv("KGP_KEY") or ""
local batch = tonumber(os.getenv("BATCH") or "100")
local types = {"view", "view", "view", "view", "cart", "purchase"}
local counter = 0
local thread_id = 0
-- THREAD_BASE: added to the thread number, so that a second wrk run posts new events too
local thread_base = tonumber(os.getenv("THREAD_BASE") or "0")

local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
end

function init(args)
  thread_id = (tid or 1) + thread_base
  math.randomseed(thread_id * 7919)
  for line in io.lines(os.getenv("USERS_FILE")) do users[#users + 1] = line end
  for line in io.lines(os.getenv("ITEMS_FILE")) do items[#items + 1] = line end
  wrk.headers["X-API-Key"] = key
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    -- 2017-07-14 + thread * 10^7 + counter: unique across threads and requests, and in the past
    -- (the service refuses times more than a day after its clock)
    local ts = 1500000000 + thread_id * 10000000 + counter
    parts[i] = string.format('{"user":"%s","item":"%s","type":"%s","ts":%d,"price":%d}',
      users[math.random(1, #users)], items[math.random(1, #items)], types[math.random(1, #types)], ts,
      math.random(5, 500))
  end
  return wrk.format("POST", "/v1/events", nil, '{"events":[' .. table.concat(parts, ",") .. ']}')
end
