#!/usr/bin/env bash
# Installs every Debian package kgprofile needs to build, test and benchmark.
# Idempotent: packages already present are skipped; nothing is downloaded at build time.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libsqlite3-dev sqlite3          # store; sqlite3 CLI is the ingest benchmark baseline
  libssl-dev                      # HMAC-SHA256 pseudonyms
  libfmt-dev                      # formatting (g++ 12 has no std::format)
  nlohmann-json3-dev              # JSON
  libcli11-dev                    # command-line parsing
  libhnswlib-dev                  # nearest-neighbour index over embeddings (header-only)
  libicu-dev                      # Unicode normalisation, Chinese word breaks (text stage)
  libcpp-httplib-dev              # HTTP server (serve) and client (OpenAI-compatible LLM backends)
  libopenblas-dev                 # dense Cholesky for EASE (recommend/algo; optional at build time)
  libgtest-dev libgmock-dev       # tests
  libbenchmark-dev                # micro-benchmarks
  raptor2-utils                   # independent RDF parser used by the export tests
  clang libclang-rt-14-dev        # libFuzzer targets (make fuzz)
  chromium chromium-driver        # headless browser test of the service web page (skips when absent)
  wrk                             # HTTP load generator (scripts/bench-serve.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
