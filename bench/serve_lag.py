#!/usr/bin/env python3
"""Event-to-profile lag of `kgprofile serve` (scripts/bench-serve.sh): for N samples, post one
event for a user and read the user's profile until it counts the event; the lag is the time
from sending the event to the profile that shows it. Probe users are its own (lag-probe-K), so
that the load generator's events never satisfy a probe. The probes are spread evenly over SECONDS
(the load's duration), so that they meet whatever the writer does during the load, not only its
first second. Prints p50, p99 and max in milliseconds."""
import http.client, json, sys, time

host, port, key, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
conn = http.client.HTTPConnection(host, port, timeout=30)
hdr = {"X-API-Key": key, "Content-Type": "application/json"}

def get_events(user):
    conn.request("GET", f"/v1/users/{user}/profile?tags=1", headers=hdr)
    r = conn.getresponse()
    body = r.read()
    if r.status == 404:
        return 0
    return json.loads(body)["behaviour"]["events"]

lags = []
ts0 = 1400000000  # 2014-05-13: distinct from the load generator's times, and in the past
start = time.perf_counter()
for i in range(n):
    wait = start + i * seconds / n - time.perf_counter()
    if wait > 0:
        time.sleep(wait)
    user = f"lag-probe-{i % 16}"
    before = get_events(user)
    event = {"events": [{"user": user, "item": "lag-probe", "type": "view", "ts": ts0 + i}]}
    t0 = time.perf_counter()
    conn.request("POST", "/v1/events", body=json.dumps(event), headers=hdr)
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        print(f"lag probe: POST answered {r.status}", file=sys.stderr)
        sys.exit(1)
    while get_events(user) < before + 1:
        pass
    lags.append((time.perf_counter() - t0) * 1000)
lags.sort()
pick = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]
print(f"{pick(0.5):.2f} {pick(0.99):.2f} {lags[-1]:.2f}")
