#!/bin/sh
# Generation benchmark: `ssot run` on a synthetic config of 1,000 models x 10 fields, once
# with schema.sql only and once with every target (SDK, hooks, OpenAPI). Reports the wall
# time of a fresh run (best of 5) and of a no-op rerun (best of 5), and the files the no-op
# rerun wrote (must be 0).
# Usage: bench/gen/run.sh [path/to/ssot] [models] [fields]
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SSOT=${1:-$ROOT/build/ssot}
MODELS=${2:-1000}
FIELDS=${3:-10}
RUNS=5
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

now_ms() { date +%s%N | awk '{ printf "%.1f", $1 / 1000000 }'; }

# best_of CMD...: runs CMD $RUNS times, prints the fastest wall time in ms.
best_of() {
  best=""
  i=0
  while [ $i -lt $RUNS ]; do
    start=$(now_ms)
    "$@" >/dev/null
    end=$(now_ms)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
    i=$((i + 1))
  done
  echo "$best"
}

for target in sql all; do
  dir="$WORK/$target"
  mkdir -p "$dir"
  lua5.4 "$ROOT/bench/gen/make_config.lua" "$MODELS" "$FIELDS" "$target" >"$dir/config.lua"
  fresh=$(best_of sh -c "rm -rf '$dir/generated' && '$SSOT' run -q '$dir/config.lua'")
  "$SSOT" run -q "$dir/config.lua"
  files=$(find "$dir/generated" -type f | wc -l)
  noop=$(best_of "$SSOT" run -q "$dir/config.lua")
  summary=$("$SSOT" run "$dir/config.lua" | tail -1)
  printf '%s\t%s models x %s fields\tfresh %s ms\tno-op %s ms\t%s files\t%s\n' \
    "$target" "$MODELS" "$FIELDS" "$fresh" "$noop" "$files" "$summary"
done
