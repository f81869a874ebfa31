#!/usr/bin/env bash
# tests/run.sh — runs every test suite and prints one closing summary line.
#
# Usage: tests/run.sh [--unit-only] UNIT_BINARY...
# Unit suites are cmocka binaries (given as arguments). Check, interop and
# system suites are the executable files tests/{checks,interop,system}/test_*;
# each prints its own "N passed, M failed[, K skipped]" line last. The closing
# line sums every suite: "N passed, M failed, K skipped". Exit status is
# non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."

unit_only=0
if [ "${1:-}" = "--unit-only" ]; then unit_only=1; shift; fi

passed=0 failed=0 skipped=0
failed_suites=()
log_dir=build/test-logs
mkdir -p "$log_dir"

count() { # $1 = pattern, $2 = log file: the N of the last cmocka line that matches
    grep -E "$1" "$2" | tail -1 | sed -E 's/[^0-9]*([0-9]+).*/\1/'
}

run_cmocka() {
    local bin=$1 name log
    name=$(basename "$bin")
    log=$log_dir/$name.log
    "$bin" >"$log" 2>&1
    local rc=$?
    local p f s
    p=$(count '^\[  PASSED  \] [0-9]+ test' "$log"); p=${p:-0}
    f=$(count '^\[  FAILED  \] [0-9]+ test' "$log"); f=${f:-0}
    s=$(count '^\[  SKIPPED \] [0-9]+ test' "$log"); s=${s:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed before its summary
    report "$name" "$p" "$f" "$s" "$log"
}

run_script() {
    local script=$1 name log
    name=${script#tests/}
    log=$log_dir/$(echo "$name" | tr '/' '_').log
    timeout "${STRAIT_SUITE_TIMEOUT:-900}" "$script" >"$log" 2>&1
    local rc=$?
    local line p f s
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    p=$(echo "$line" | sed -nE 's/^([0-9]+) passed.*/\1/p'); p=${p:-0}
    f=$(echo "$line" | sed -nE 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/p'); f=${f:-0}
    s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p'); s=${s:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    report "$name" "$p" "$f" "$s" "$log"
}

report() { # name passed failed skipped log
    passed=$((passed + $2)); failed=$((failed + $3)); skipped=$((skipped + $4))
    local status=ok
    [ "$3" -ne 0 ] && status=FAIL && failed_suites+=("$1")
    printf '%-40s %-4s %4d passed, %d failed, %d skipped\n' "$1" "$status" "$2" "$3" "$4"
    if [ "$3" -ne 0 ]; then
        echo "---- $5 (last 40 lines) ----"
        tail -40 "$5"
        echo "----"
    fi
    grep -E '^# ' "$5" | sed 's/^/    /' | head -20
}

for bin in "$@"; do
    run_cmocka "$bin"
done
if [ "$unit_only" -eq 0 ]; then
    for script in tests/checks/test_* tests/interop/test_* tests/system/test_*; do
        [ -x "$script" ] && run_script "$script"
    done
fi

if [ ${#failed_suites[@]} -ne 0 ]; then
    echo "failed suites: ${failed_suites[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
