# shellcheck shell=bash
# shellcheck disable=SC2034 # ST_RC and ST_MS are set here and read by the suites
# tests/interop/lib/tools.sh — sourced by the test_tools_*.sh suites (after
# lib/broker.sh): builds and runs the `strait` tools and checks their output.
#
#   tools_init NAME            t_init, then build/strait (make) or $STRAIT_TOOLS_BIN
#   st OUT ARGS...             runs `strait ARGS...` (at most 120 s): stdout in OUT,
#                              stderr in OUT.err; sets ST_RC and ST_MS (elapsed ms)
#   st_in IN OUT ARGS...       the same with stdin from file IN
#   t_rc DESC WANT             passes when ST_RC is WANT
#   t_grep DESC FILE ERE       passes when a line of FILE matches ERE
#   t_nogrep DESC FILE ERE     passes when no line does
#   t_lines DESC FILE N        passes when FILE has N lines
#   wait_until SECONDS CMD...  polls CMD every 0.3 s; non-zero after SECONDS (CMD is
#                              run each time: put $(...) checks in a function)

ST=${STRAIT_TOOLS_BIN:-}
# ST_RC and ST_MS are read by the suites
ST_RC=0 ST_MS=0

tools_init() {
    t_init "$1"
    if [ -z "$ST" ]; then
        ST=$STRAIT_ROOT/build/strait
        if ! make -C "$STRAIT_ROOT" --no-print-directory -s build/strait >"$T_TMP/make-tools.log" 2>&1; then
            t_fail "the tools build (make build/strait)" "$(tail -5 "$T_TMP/make-tools.log")"
            t_summary
        fi
    fi
    if [ ! -x "$ST" ]; then
        t_fail "tools binary $ST exists"
        t_summary
    fi
}

now_ms() { date +%s%3N; }

st() {
    local out=$1 start
    shift
    start=$(now_ms)
    timeout 120 "$ST" "$@" >"$out" 2>"$out.err"
    ST_RC=$?
    ST_MS=$(($(now_ms) - start))
}

st_in() {
    local in=$1 out=$2 start
    shift 2
    start=$(now_ms)
    timeout 120 "$ST" "$@" <"$in" >"$out" 2>"$out.err"
    ST_RC=$?
    ST_MS=$(($(now_ms) - start))
}

t_rc() {
    if [ "$ST_RC" = "$2" ]; then t_ok "$1"; else t_fail "$1" "exit status $ST_RC, expected $2"; fi
}

t_grep() {
    if grep -qE -- "$3" "$2"; then
        t_ok "$1"
    else
        t_fail "$1" "no line matches /$3/ in: $(head -c 600 "$2" | tr '\n\t' '|>')"
    fi
}

t_nogrep() {
    if ! grep -qE -- "$3" "$2"; then
        t_ok "$1"
    else
        t_fail "$1" "unexpected line /$3/: $(grep -E -- "$3" "$2" | head -3 | tr '\n\t' '|>')"
    fi
}

t_lines() {
    local n
    n=$(wc -l <"$2" | tr -d ' ')
    t_eq "$1" "$3" "$n"
}

wait_until() {
    local limit=$1 i
    shift
    for ((i = 0; i < limit * 10 / 3; i++)); do
        "$@" && return 0
        sleep 0.3
    done
    "$@"
}
