#!/usr/bin/env bash
# test_kafkajs.sh — runs test_kafkajs.js (kafkajs 2.2.4) against a broker
# started here with num.partitions=3. Installs the pinned npm packages from
# tests/interop/node/package-lock.json (npm ci) when node_modules is missing.
# See the .js file for what it asserts.
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
t_init kafkajs

if ! command -v node >/dev/null || ! command -v kcat >/dev/null; then
    t_fail "node and kcat are installed (make deps)"
    t_summary
fi
if [ ! -f node/node_modules/.package-lock.json ] ||
    [ node/package-lock.json -nt node/node_modules/.package-lock.json ]; then
    echo "# installing tests/interop/node packages (npm ci)"
    if ! (cd node && CI=true timeout 300 npm ci --no-audit --no-fund --loglevel=error </dev/null); then
        t_fail "npm ci in tests/interop/node"
        t_summary
    fi
fi

broker_start b1 num.partitions=3 || { t_fail "broker starts"; t_summary; }
STRAIT_BOOTSTRAP=$(bootstrap b1) STRAIT_DATA_DIR=${B_DIR[b1]} STRAIT_PYTHON=$STRAIT_PYTHON \
    timeout 300 node test_kafkajs.js >"$T_TMP/out.txt" 2>"$T_TMP/err.txt"
rc=$?
cat "$T_TMP/out.txt"
sed 's/^/    /' "$T_TMP/err.txt" | head -30
t_absorb "$T_TMP/out.txt"
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL - ' "$T_TMP/out.txt"; then
    t_fail "node test_kafkajs.js exits cleanly" "exit status $rc"
fi
if broker_alive b1; then t_ok "broker still running after the clients"; else t_fail "broker still running after the clients"; fi
broker_stop b1
t_eq "broker exits 0 on SIGTERM" 0 "$BROKER_RC"
t_summary
