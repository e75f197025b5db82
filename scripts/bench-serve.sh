#!/usr/bin/env bash
# Service benchmark (from scripts/bench.sh): `kgprofile serve` on a generated shop, driven by wrk.
#   baseline   GET /healthz (no work but HTTP and the key check)   requests/s, p50/p99
#   profile    GET /v1/users/{id}/profile, random users              requests/s, p50/p99; first with
#              the answer cache off (every request finalizes and serializes), then as served
#   events     POST /v1/events, BATCH events a request (new events)  events/s (from the server's count)
#   lag        one event, then its profile: time until the profile shows it, p50/p99, measured
#              by probes spread over the events load (bench/serve_lag.py), plus the server's own
#              histogram
#   memory     peak RSS of the server
#   mixed      BENCH_SERVE_MIXED_SECONDS (60; the target's run is 300) of GET profile and POST events
#              at once: errors (non-2xx, socket errors) and the server's RSS sampled every 10 s, with
#              the part of it held by its bounded caches (SQLite, answer cache; from /metrics);
#              BENCH_SERVE_MIXED_OPTS: extra serve options for it (e.g. --profile-cache-mb 0)
# Targets (docs/api.md "Performance"): profile p99 < 5 ms at >= 10,000 requests/s; >= 50,000
# events/s; lag p99 < 20 ms. The server fsyncs every write batch (the default).
# Knobs: BENCH_SERVE_USERS (20000), BENCH_SERVE_EVENTS (1000000), BENCH_SERVE_SECONDS (15),
# BENCH_SERVE_CONNECTIONS (32), BENCH_SERVE_THREADS (server threads, 4), BATCH (100).
set -euo pipefail
build=${1:-build}
bin="$build/kgprofile"
users=${BENCH_SERVE_USERS:-20000}
events=${BENCH_SERVE_EVENTS:-1000000}
secs=${BENCH_SERVE_SECONDS:-15}
conns=${BENCH_SERVE_CONNECTIONS:-32}
sthreads=${BENCH_SERVE_THREADS:-4}
export BATCH=${BATCH:-100}
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/scripts/lib.sh"
need_built "$build"
need_tool wrk wrk bench
need_tool curl curl bench
need_tool python3 python3 bench
echo "== serve benchmark: $users users, $events events; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) =="

work="$build/bench-work/serve-$users-$events"
ws="$work/ws"
if [ ! -f "$ws/profiles.state" ]; then
  echo "preparing $ws (once)" >&2
  rm -rf "$work"
  "$bin" -q generate "$work/sample" --users "$users" --events "$events" --products $((users / 4 + 500)) --review-rate 0
  "$bin" -q init "$ws"
  for f in categories brands catalog users; do "$bin" -q ingest "$ws" "$work/sample/$f.csv" --format "$f"; done
  "$bin" -q ingest "$ws" "$work/sample/events.csv" --format rees46
  "$bin" -q graph build "$ws"
  "$bin" -q profile build "$ws"
  cp -r "$ws" "$work/ws-pristine"
else
  # Every run starts from the same workspace (the events benchmark adds millions of events).
  rm -rf "$ws" && cp -r "$work/ws-pristine" "$ws"
fi
key=$("$bin" -q serve-keys create "$ws" --scope admin --name bench)
export KGP_KEY="$key"
export USERS_FILE="$work/users.txt" ITEMS_FILE="$work/items.txt"
cut -d, -f1 "$work/sample/users.csv" | tail -n +2 > "$USERS_FILE"
cut -d, -f1 "$work/sample/catalog.csv" | tail -n +2 > "$ITEMS_FILE"

start_server() {  # extra serve options…
  port=$((20000 + RANDOM % 20000))
  "$bin" serve "$ws" --port "$port" --threads "$sthreads" --rate-limit 0 --no-llm "$@" > "$work/serve.out" 2> "$work/serve.log" &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "server did not start:"; cat "$work/serve.log"; exit 1; }
  url="http://127.0.0.1:$port"
}
stop_server() { kill -TERM $pid; wait $pid || true; }
trap 'kill $pid 2>/dev/null || true' EXIT
# wrk --latency output → "rps p50 p99" (latencies in ms)
summarize() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, bad }'
}
run_wrk() {  # name script path
  wrk -t2 -c"$conns" -d"${secs}s" --latency ${2:+-s "$2"} -H "X-API-Key: $KGP_KEY" "$url$3" > "$work/wrk-$1.txt" 2>&1
  summarize < "$work/wrk-$1.txt"
}
metric() { curl -s -H "X-API-Key: $KGP_KEY" "$url/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# Profiles computed on every request (the answer cache off), then the server as configured by default.
start_server --profile-cache-mb 0
read -r c_rps c_p50 c_p99 c_bad <<< "$(run_wrk profile-nocache "$here/bench/serve_get_profile.lua" /)"
printf "  %-34s %10s req/s   p50 %7s ms   p99 %7s ms   non-2xx %s\n" "GET profile, no answer cache" "$c_rps" "$c_p50" "$c_p99" "$c_bad"
stop_server
start_server
read -r h_rps h_p50 h_p99 h_bad <<< "$(run_wrk healthz "" /healthz)"
printf "  %-34s %10s req/s   p50 %7s ms   p99 %7s ms   non-2xx %s\n" "baseline GET /healthz" "$h_rps" "$h_p50" "$h_p99" "$h_bad"
read -r p_rps p_p50 p_p99 p_bad <<< "$(run_wrk profile "$here/bench/serve_get_profile.lua" /)"
printf "  %-34s %10s req/s   p50 %7s ms   p99 %7s ms   non-2xx %s\n" "GET /v1/users/{id}/profile" "$p_rps" "$p_p50" "$p_p99" "$p_bad"

before=$(metric kgprofile_events_ingested_total)
python3 "$here/bench/serve_lag.py" 127.0.0.1 "$port" "$KGP_KEY" 400 "$((secs - 1))" > "$work/lag.txt" &
lag_pid=$!
t0=$(date +%s.%N)
read -r e_rps e_p50 e_p99 e_bad <<< "$(run_wrk events "$here/bench/serve_post_events.lua" /v1/events)"
t1=$(date +%s.%N)
wait $lag_pid || true
after=$(metric kgprofile_events_ingested_total)
ev_s=$(awk -v a="$after" -v b="$before" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", (a - b) / (t1 - t0) }')
printf "  %-34s %10s req/s   p50 %7s ms   p99 %7s ms   non-2xx %s   → %s events/s stored and applied (batch %s)\n" \
  "POST /v1/events" "$e_rps" "$e_p50" "$e_p99" "$e_bad" "$ev_s" "$BATCH"
read -r l50 l99 lmax < "$work/lag.txt" || true
printf "  %-34s p50 %s ms   p99 %s ms   max %s ms (400 probes spread over the events load)\n" "event → profile lag" "${l50:-?}" "${l99:-?}" "${lmax:-?}"
server_lag=$(curl -s -H "X-API-Key: $KGP_KEY" "$url/metrics" | awk '
  /^kgprofile_profile_update_lag_seconds_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); n++; les[n] = le; c[n] = $2 }
  /^kgprofile_profile_update_lag_seconds_count/ { total = $2 }
  END { for (i = 1; i <= n; i++) if (c[i] >= 0.99 * total) { printf "%s", les[i]; exit } }')
printf "  %-34s p99 <= %s s (server histogram: request received → profile readable)\n" "writer update lag" "$server_lag"
rss=$(awk '/VmHWM/ { printf "%.0f MiB", $2 / 1024 }' /proc/$pid/status)
printf "  %-34s %s\n" "server peak RSS" "$rss"

# Mixed load: readers and writers together for a long window; errors and memory over time.
# A keep-alive connection holds an HTTP thread while open, so this server gets one per
# connection (with fewer, whichever connections got threads first are served; the others wait).
mixed=${BENCH_SERVE_MIXED_SECONDS:-60}
if [ "$mixed" -gt 0 ]; then
  stop_server
  saved_threads=$sthreads
  sthreads=$conns
  # shellcheck disable=SC2086
  start_server ${BENCH_SERVE_MIXED_OPTS:-}
  sthreads=$saved_threads
  half=$((conns / 2 > 0 ? conns / 2 : 1))
  wrk -t1 -c"$half" -d"${mixed}s" --latency -s "$here/bench/serve_get_profile.lua" -H "X-API-Key: $KGP_KEY" "$url/" \
    > "$work/wrk-mixed-get.txt" 2>&1 &
  get_pid=$!
  THREAD_BASE=10 wrk -t1 -c"$half" -d"${mixed}s" --latency -s "$here/bench/serve_post_events.lua" -H "X-API-Key: $KGP_KEY" "$url/v1/events" \
    > "$work/wrk-mixed-post.txt" 2>&1 &
  post_pid=$!
  samples=() sqlite=() answers=() outside=()
  for _ in $(seq 1 $((mixed / 10))); do
    sleep 10
    rss_mb=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' /proc/$pid/status)
    sq=$(metric 'kgprofile_memory_bytes{part="sqlite"}')
    ac=$(metric 'kgprofile_memory_bytes{part="answer_cache"}')
    samples+=("$rss_mb")
    sqlite+=("$(awk -v b="${sq:-0}" 'BEGIN { printf "%.0f", b / 1048576 }')")
    answers+=("$(awk -v b="${ac:-0}" 'BEGIN { printf "%.0f", b / 1048576 }')")
    outside+=("$(awk -v r="$rss_mb" -v s="${sq:-0}" -v a="${ac:-0}" 'BEGIN { printf "%.0f", r - (s + a) / 1048576 }')")
  done
  wait $get_pid $post_pid || true
  for f in get post; do
    read -r m_rps m_p50 m_p99 m_bad <<< "$(summarize < "$work/wrk-mixed-$f.txt")"
    sock=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$work/wrk-mixed-$f.txt")
    printf "  %-34s %10s req/s   p50 %7s ms   p99 %7s ms   non-2xx %s   socket errors %s\n" \
      "mixed ${mixed}s: $f" "$m_rps" "$m_p50" "$m_p99" "$m_bad" "${sock:-0}"
  done
  printf "  %-34s %s MiB (every 10 s)\n" "mixed: server RSS" "${samples[*]}"
  printf "  %-34s %s MiB\n" "  of it SQLite (bounded)" "${sqlite[*]}"
  printf "  %-34s %s MiB\n" "  of it the answer cache (bounded)" "${answers[*]}"
  printf "  %-34s %s MiB\n" "  outside those bounded caches" "${outside[*]}"
  # Flat: the second half of the run grows the memory outside the caches by under 2 %.
  n=${#outside[@]}
  if [ "$n" -ge 4 ]; then
    mid=${outside[$((n / 2))]} last=${outside[$((n - 1))]}
    printf "  %-34s %s\n" "memory outside the caches" \
      "$(awk -v a="$mid" -v b="$last" 'BEGIN { g = (b - a) / a; printf "%+.1f%% over the second half: %s", 100 * g, (g < 0.02 ? "flat" : "NOT flat") }')"
  fi
fi
stop_server
trap - EXIT
grep -o "moved [0-9]* staged events.*" "$work/serve.log" | sed 's/^/  writer: /' || true
ok() { awk -v a="$1" -v b="$2" -v op="$3" 'BEGIN { if (op == "<" ? a + 0 < b + 0 : a + 0 >= b + 0) print "met"; else print "NOT met" }'; }
echo "  targets: profile p99 < 5 ms $(ok "$p_p99" 5 '<') at >= 10000 req/s $(ok "$p_rps" 10000 '>='); " \
     ">= 50000 events/s $(ok "$ev_s" 50000 '>='); lag p99 < 20 ms $(ok "${l99:-999}" 20 '<')"
