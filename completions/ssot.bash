# bash completion for ssot: the commands, each command's options, the presets of
# `ssot init --preset`, and .lua files (and directories) for the config argument.
# Installed as share/bash-completion/completions/ssot, which bash-completion loads the first
# time `ssot` is completed; without bash-completion: source this file from ~/.bashrc.
# Needs nothing but bash: no helper of the bash-completion package.
#
# Keep in step with the commands' --help (tests/examples/completion_test.sh checks every
# option a --help names is here, and the presets against lua/ssot/scaffold/presets.lua).

_ssot_commands="init new run phases serve token help version"
_ssot_presets="chat todo inventory notifications blank"

# Adds compgen's matches ("$@" are its arguments), one per line, to COMPREPLY.
_ssot_add() {
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen "$@")
}

# The options of a command, and those among them that take a value.
_ssot_options() {
    case ${1:-} in
        init) echo "--preset --name --realtime --port --auth --no-auth -y --yes -f --force -h --help" ;;
        new) echo "-f --force -h --help" ;;
        run) echo "--config --lib -o --output --dry-run --check --diff -f --force -w --watch -q --quiet" \
                  "-v --verbose -h --help" ;;
        phases) echo "--config --lib -h --help" ;;
        serve) echo "--config --port --host --db --workers --production -q --quiet -v --verbose --lib -h --help" ;;
        token) echo "--sub --role --ttl --config --db -h --help" ;;
        help | version) echo "-h --help" ;;
        *) echo "-h --help --version -V" ;;
    esac
}

# Completes the value of option $1 for the word $2; returns 1 when $1 takes no value.
_ssot_option_value() {
    local option=$1 cur=$2
    case $option in
        --preset) _ssot_add -W "$_ssot_presets" -- "$cur" ;;
        --config) _ssot_files "$cur" lua ;;
        --db) _ssot_files "$cur" ;;
        --lib | -o | --output) _ssot_dirs "$cur" ;;
        --name | --realtime | --port | --host | --sub | --role | --ttl) ;;
        *) return 1 ;;
    esac
    return 0
}

# Directories, and files (only *.$2 when given), for the word $1.
_ssot_files() {
    if [ -n "${2:-}" ]; then
        _ssot_add -d -- "$1"
        _ssot_add -f -X "!*.$2" -- "$1"
    else
        _ssot_add -f -- "$1"
    fi
    compopt -o filenames 2>/dev/null
}

_ssot_dirs() {
    _ssot_add -d -- "$1"
    compopt -o filenames 2>/dev/null
}

_ssot() {
    local cword=$COMP_CWORD
    local cur=${COMP_WORDS[cword]} prev=""
    [ "$cword" -gt 0 ] && prev=${COMP_WORDS[cword - 1]}
    # "--option=value": bash splits the word at '=' (COMP_WORDBREAKS)
    if [ "$cur" = "=" ]; then
        cur=""
    elif [ "$prev" = "=" ] && [ "$cword" -gt 1 ]; then
        prev=${COMP_WORDS[cword - 2]}
    fi
    COMPREPLY=()

    if [ "$cword" -le 1 ]; then
        case $cur in
            -*) _ssot_add -W "$(_ssot_options)" -- "$cur" ;;
            *) _ssot_add -W "$_ssot_commands" -- "$cur" ;;
        esac
        return 0
    fi

    local command=${COMP_WORDS[1]}
    case $command in
        init | new | run | phases | serve | token | help | version) ;;
        *) return 0 ;;
    esac
    if [ -n "$prev" ] && _ssot_option_value "$prev" "$cur"; then
        return 0
    fi
    case $cur in
        -*)
            _ssot_add -W "$(_ssot_options "$command")" -- "$cur"
            return 0
            ;;
    esac
    case $command in
        init) _ssot_dirs "$cur" ;;
        new) [ "$cword" -eq 2 ] && _ssot_add -W "phase" -- "$cur" ;;
        help) [ "$cword" -eq 2 ] && _ssot_add -W "$_ssot_commands" -- "$cur" ;;
        run | phases | serve | token) _ssot_files "$cur" lua ;;
    esac
    return 0
}

complete -F _ssot ssot
