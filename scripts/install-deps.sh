#!/usr/bin/env bash
# Installs the Debian packages kgprofile needs. Usage: install-deps.sh [GROUP...]
#   (always)  building, `make demo`      compilers, libraries, GoogleTest (the tests build by default)
#   test      `make test`                tools some tests run (each such test skips without its tool)
#   bench     `make bench`               scripts/bench*.sh and the ingest benchmark's baseline
#   eval      `make eval`                scripts/eval*.sh
#   fuzz      `make fuzz`                clang and libFuzzer
#   all       every group
# Idempotent: packages already present are skipped; nothing is downloaded at build time.
set -euo pipefail

BUILD=(
  build-essential cmake pkg-config
  libsqlite3-dev                  # store
  libssl-dev                      # HMAC-SHA256 pseudonyms
  libfmt-dev                      # formatting (g++ 12 has no std::format)
  nlohmann-json3-dev              # JSON
  libcli11-dev                    # command-line parsing
  libhnswlib-dev                  # nearest-neighbour index over embeddings (header-only)
  libicu-dev                      # Unicode normalisation, Chinese word breaks (text stage)
  libcpp-httplib-dev              # HTTP server (serve) and client (OpenAI-compatible LLM backends)
  libopenblas-dev                 # dense Cholesky for EASE (recommend/algo; optional at build time)
  libgtest-dev libgmock-dev       # tests (built with everything else)
)
TEST=(
  raptor2-utils                   # rapper: independent RDF parser used by the export tests
  chromium                        # headless browser test of the service web page
  openssl                         # openssl command: the self-signed certificate of the TLS test
)
BENCH=(
  sqlite3                         # the ingest benchmark's baseline (sqlite3 .import)
  time                            # /usr/bin/time: wall time and peak RSS (bench-kge, bench-llm, bench-kge-scale)
  curl                            # bench-serve: waits for the server, reads /metrics
  python3                         # bench-serve (lag probes), bench-kge-scale (graph generator)
  wrk                             # HTTP load generator (bench-serve)
)
EVAL=(
  sqlite3                         # eval.sh compares the ingested counts with the published ones
  time                            # /usr/bin/time: wall time and peak RSS (eval-text)
  python3                         # eval-kge, eval-rec read the JSON results
)
FUZZ=(
  clang libclang-rt-14-dev        # libFuzzer targets (make fuzz)
)

PACKAGES=("${BUILD[@]}")
names="build"
for group in "$@"; do
  case $group in
    test) PACKAGES+=("${TEST[@]}") ;;
    bench) PACKAGES+=("${BENCH[@]}") ;;
    eval) PACKAGES+=("${EVAL[@]}") ;;
    fuzz) PACKAGES+=("${FUZZ[@]}") ;;
    all) PACKAGES+=("${TEST[@]}" "${BENCH[@]}" "${EVAL[@]}" "${FUZZ[@]}") ;;
    *) echo "install-deps: unknown group '$group' (test, bench, eval, fuzz, all)" >&2; exit 2 ;;
  esac
  names+=", $group"
done

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    case " ${missing[*]} " in *" $p "*) ;; *) missing+=("$p") ;; esac
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present ($names)"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
