#!/usr/bin/env bash
# test_groups_kafkajs.sh — runs test_groups_kafkajs.js (a kafkajs 2.2.4
# consumer group across broker restarts). The .js file starts, restarts and
# stops its own broker (it needs to restart it on the same data dir and port);
# this wrapper gives it the binary, the config and a temp dir, and kills that
# broker by pid if the script could not. Installs the pinned npm packages from
# tests/interop/node/package-lock.json (npm ci) when node_modules is missing.
# See the .js file for what it asserts.
set -u
cd "$(dirname "$0")"
source lib/broker.sh
t_init groups-kafkajs

if ! command -v node >/dev/null; then
    t_fail "node is installed (make deps)"
    t_summary
fi
if [ ! -d node/node_modules/kafkajs ]; then
    echo "# installing tests/interop/node packages (npm ci)"
    if ! (cd node && CI=true timeout 300 npm ci --no-audit --no-fund --loglevel=error </dev/null); then
        t_fail "npm ci in tests/interop/node"
        t_summary
    fi
fi

STRAIT_BROKER_BIN=$STRAIT_BROKER_BIN STRAIT_BROKER_CONFIG=$STRAIT_BROKER_CONFIG STRAIT_TMP=$T_TMP \
    timeout 280 node test_groups_kafkajs.js >"$T_TMP/out.txt" 2>"$T_TMP/err.txt"
rc=$?
# the broker the script started, if it is still there (pid written by the script)
if [ -s "$T_TMP/broker.pid" ]; then
    pid=$(cat "$T_TMP/broker.pid")
    if kill -0 "$pid" 2>/dev/null && grep -q strait-broker "/proc/$pid/cmdline" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null
        t_fail "the script stopped its broker" "pid $pid was still running"
    fi
fi
grep -v -E '^[0-9]+ passed, [0-9]+ failed' "$T_TMP/out.txt"
t_absorb "$T_TMP/out.txt"
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL - ' "$T_TMP/out.txt"; then
    t_fail "node test_groups_kafkajs.js exits cleanly" "exit status $rc"
fi
if grep -q '^FAIL - ' "$T_TMP/out.txt" || [ "$rc" -ne 0 ]; then
    echo "---- client trace (last 60 lines) ----"
    tail -60 "$T_TMP/err.txt" | sed 's/^/    /'
    for f in "$T_TMP"/kjs-broker.*.log; do
        [ -f "$f" ] || continue
        echo "---- $(basename "$f") (last 15 lines) ----"
        tail -15 "$f" | sed 's/^/    /'
    done
fi
t_summary
