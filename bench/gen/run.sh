#!/usr/bin/env bash
# Generation benchmark: `ssot run` on a synthetic config of N models x F fields (default
# 1,000 x 10, bench/gen/make_config.lua), once with schema.sql only and once with every target
# (SDK, hooks, OpenAPI). For each case it times the ssot process alone (best of RUNS) as wall
# time and as CPU time (user + sys), counts the files a no-op rerun wrote (must be 0), and
# prints a markdown table. A fresh run writes into a new, empty output directory; the
# directories are removed after the timing (ext4 makes creating a thousand files right after
# deleting a thousand far slower, measured separately as "after rm -rf"). Run it after a few
# minutes without large deletions (a test run's clean-up, rm -rf of a build tree): for minutes
# after one, every file creation on ext4 is slower (docs/benchmarks.md, "Generation").
# Usage: bench/gen/run.sh [path/to/ssot] [models] [fields] [runs]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SSOT=${1:-$ROOT/build/ssot}
MODELS=${2:-1000}
FIELDS=${3:-10}
RUNS=${4:-7}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ssot-bench-gen.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [ ! -x "$SSOT" ]; then
  echo "bench/gen: no ssot binary at $SSOT (build one, or pass its path)" >&2
  exit 1
fi

TIMEFORMAT='%3R %3U %3S'

# time_once SETUP CMD...: runs SETUP (untimed), then CMD with its output discarded; prints
# "wall_ms cpu_ms". Fails when CMD fails.
time_once() {
  local setup=$1; shift
  eval "$setup"
  local t
  t=$( { time "$@" >/dev/null 2>"$WORK/stderr"; } 2>&1 ) || {
    echo "bench/gen: '$*' failed:" >&2
    cat "$WORK/stderr" >&2
    exit 1
  }
  awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.0f %.0f\n", a[1] * 1000, (a[2] + a[3]) * 1000 }'
}

# best_of SETUP CMD...: the smallest wall time and the smallest CPU time of RUNS runs. In
# SETUP and CMD, {i} stands for the run's number.
best_of() {
  local best_wall="" best_cpu="" i wall cpu
  for ((i = 0; i < RUNS; i++)); do
    local setup=${1//\{i\}/$i} args=("${@:2}")
    args=("${args[@]//\{i\}/$i}")
    read -r wall cpu < <(time_once "$setup" "${args[@]}")
    if [ -z "$best_wall" ] || [ "$wall" -lt "$best_wall" ]; then best_wall=$wall; fi
    if [ -z "$best_cpu" ] || [ "$cpu" -lt "$best_cpu" ]; then best_cpu=$cpu; fi
  done
  echo "$best_wall $best_cpu"
}

# files_written DIR CMD...: runs CMD and counts the files under DIR it created or modified.
files_written() {
  local dir=$1; shift
  touch "$WORK/marker"
  sleep 0.01
  "$@" >/dev/null
  find "$dir" -newer "$WORK/marker" \( -type f -o -type l \) | wc -l
}

row() { printf '| %s | %s | %s | %s | %s |\n' "$@"; }

echo "ssot generation benchmark: $MODELS models x $FIELDS fields, best of $RUNS"
echo "binary: $SSOT ($("$SSOT" version)); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
row "case" "files" "wall (ms)" "CPU user+sys (ms)" "no-op files written"
row "---" "---:" "---:" "---:" "---:"
for target in sql all; do
  dir="$WORK/$target"
  mkdir -p "$dir"
  lua5.4 "$ROOT/bench/gen/make_config.lua" "$MODELS" "$FIELDS" "$target" >"$dir/config.lua"
  config="$dir/config.lua"
  out="$dir/generated"
  label=$([ "$target" = sql ] && echo "schema.sql only" || echo "SDK + hooks + OpenAPI")

  read -r wall cpu < <(best_of ":" "$SSOT" run -q -o "$dir/fresh-{i}" "$config")
  files=$(find "$dir/fresh-0" -type f ! -name '.ssot-*' | wc -l)
  rm -rf "$dir"/fresh-*
  row "$label: fresh run" "$files" "$wall" "$cpu" ""

  "$SSOT" run -q "$config"
  read -r wall cpu < <(best_of "rm -rf '$out'" "$SSOT" run -q "$config")
  row "$label: fresh run after rm -rf of the last output" "$files" "$wall" "$cpu" ""

  "$SSOT" run -q "$config"
  read -r wall cpu < <(best_of ":" "$SSOT" run -q "$config")
  written=$(files_written "$out" "$SSOT" run -q "$config")
  row "$label: no-op rerun" "$files" "$wall" "$cpu" "$written"

  read -r wall cpu < <(best_of ":" "$SSOT" run -q --force "$config")
  written=$(files_written "$out" "$SSOT" run -q --force "$config")
  row "$label: rerun --force (nothing changed)" "$files" "$wall" "$cpu" "$written"
done
