# shellcheck shell=bash
# Sourced by the bench and eval scripts: checks for what a script runs, each saying what to do when
# it is missing, and GNU time around a command.
script_name=$(basename "$0" .sh)

# need_built BUILD [FILE...]: the build outputs the script runs (default: the kgprofile binary).
need_built() {
  local build=$1 f; shift
  for f in "${@:-kgprofile}"; do
    if [ ! -x "$build/$f" ]; then
      local hint="make build"
      [ "$build" = build ] || hint+=" BUILD=$build"
      echo "$script_name: $build/$f not found: build first: $hint" >&2
      exit 1
    fi
  done
}

# need_tool COMMAND PACKAGE GROUP: a program the script runs, from a Debian package that
# `scripts/install-deps.sh GROUP` installs.
need_tool() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "$script_name: $1 not found: apt-get install $2 (or: bash scripts/install-deps.sh $3)" >&2
    exit 1
  fi
}

# timed FORMAT COMMAND...: runs COMMAND under GNU time and, only when it succeeded, prints FORMAT
# with its figures (%e wall seconds, %M peak RSS KB) on stderr, as GNU time does; returns COMMAND's
# exit status.
timed() {
  local format=$1 t rc=0; shift
  t=$(mktemp)
  trap 'rm -f "$t"; exit 130' INT
  trap 'rm -f "$t"; exit 143' TERM
  /usr/bin/time -f "$format" -o "$t" "$@" || rc=$?
  trap - INT TERM
  if [ "$rc" -eq 0 ]; then cat "$t" >&2; else echo "$script_name: failed (exit $rc): $*" >&2; fi
  rm -f "$t"
  return "$rc"
}
