-- wrk script: GET /v1/users/{id}/profile for users drawn at random from USERS_FILE (one id a
-- line), with the API key from KGP_KEY. Used by scripts/bench-serve.sh.
local users = {}
local key = os.getenv("KGP_KEY") or ""

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or 1)
  for line in io.lines(os.getenv("USERS_FILE")) do users[#users + 1] = line end
  wrk.headers["X-API-Key"] = key
end

function request()
  local u = users[math.random(1, #users)]
  return wrk.format("GET", "/v1/users/" .. u .. "/profile")
end
