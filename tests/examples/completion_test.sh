#!/bin/bash
# Sources completions/ssot.bash in bash and checks what it offers (COMPREPLY) for a few
# command lines: commands, each command's options, the presets of `ssot init --preset`, .lua
# files for the config; that every option a command's --help names is offered; and that its
# presets are ssot init's (lua/ssot/scaffold/presets.lua).
set -eu
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$2" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# shellcheck source=/dev/null
. "$ROOT/completions/ssot.bash"
complete -p ssot | grep -q -- '-F _ssot ssot'

failures=0
# offered WORD... : what the completion offers for the command line WORD... (the last word is
# the one completed), sorted, space-separated
offered() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMPREPLY=()
    _ssot
    if [ ${#COMPREPLY[@]} -gt 0 ]; then printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; fi
}
# expect "WANT" WORD... : the completion of WORD... is exactly WANT (sorted, space-separated)
expect() {
    local want=$1 got
    shift
    got=$(offered "$@")
    if [ "$got" != "$want" ]; then
        echo "completion: '$*': expected '$want', got '$got'"
        failures=$((failures + 1))
    fi
}

cd "$TMP"
mkdir sub
touch config.lua other.lua notes.txt data.db

expect "run" ssot r
expect "help init new phases run serve token version" ssot ""
expect "phases" ssot p
expect "--help --version -V -h" ssot -
expect "--preset" ssot init --pr
expect "blank chat inventory notifications todo" ssot init --preset ""
expect "todo" ssot init --preset t
expect "todo" ssot init --preset = t      # --preset=t: bash splits the word at '='
expect "blank chat inventory notifications todo" ssot init --preset =
expect "--port --production" ssot serve --p
expect "" ssot serve --port ""
expect "--db" ssot token --d
expect "" ssot token --sub ""
expect "config.lua other.lua sub" ssot run ""
expect "config.lua" ssot run --check c
expect "config.lua other.lua sub" ssot serve --port 3000 ""
expect "config.lua other.lua sub" ssot token --config ""
expect "config.lua data.db notes.txt other.lua sub" ssot serve --db ""
expect "sub" ssot run --lib ""
expect "sub" ssot run -o ""
expect "sub" ssot init ""
expect "phase" ssot new ""
expect "" ssot new phase ""
expect "--force" ssot new phase x --f
expect "serve" ssot help se
expect "--check --config" ssot run --c
expect "" ssot frobnicate ""

# Every option a command's --help names is offered after "--" (or "-", for the short ones);
# "ssot --version" in `ssot version --help` is the global spelling, not an option of version.
for command in init new run phases serve token help version; do
    offered_long=" $(offered ssot "$command" --) "
    offered_short=" $(offered ssot "$command" -) "
    help_text=$("$BIN" "$command" --help | sed 's/ssot --version//g')
    for option in $(printf '%s\n' "$help_text" | grep -oE -- '(^|[ ,(])--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+' | sort -u); do
        case $offered_long in
            *" $option "*) ;;
            *) echo "completion: ssot $command: --help names $option, the completion does not offer it"
               failures=$((failures + 1)) ;;
        esac
    done
    for option in $(printf '%s\n' "$help_text" | grep -oE -- '^  -[a-zA-Z],' | grep -oE -- '-[a-zA-Z]' | sort -u); do
        case $offered_short in
            *" $option "*) ;;
            *) echo "completion: ssot $command: --help names $option, the completion does not offer it"
               failures=$((failures + 1)) ;;
        esac
    done
done

# The presets are ssot init's, in any order.
presets=$(LUA_PATH="$ROOT/lua/?.lua;;" lua5.4 -e \
    'local n = require("ssot.scaffold.presets").names; table.sort(n); print(table.concat(n, " "))')
expect "$presets" ssot init --preset ""

if [ "$failures" -ne 0 ]; then
    echo "completion: $failures failures"
    exit 1
fi
echo "completion: ok"
