#!/usr/bin/env bash
# The committed generated codec (common/protocol/messages.[ch]) must be exactly
# what generate.py makes from the schemas. Skips when the schemas are absent.
set -u
cd "$(dirname "$0")/../.."
schemas=${1:-${STRAIT_PROTOCOL_DIR:-../shared/kafka-protocol}}
if [ ! -d "$schemas/message" ]; then
    echo "# skipped: $schemas is absent, cannot regenerate the codec"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 common/protocol/generate.py "$schemas" "$out" || { echo "0 passed, 1 failed"; exit 1; }
failed=0
for f in messages.h messages.c; do
    if cmp -s "$out/$f" "common/protocol/$f"; then
        echo "ok - common/protocol/$f matches the schemas"
    else
        echo "not ok - common/protocol/$f differs from what the schemas give: run make protocol"
        diff "$out/$f" "common/protocol/$f" | head -20
        failed=$((failed + 1))
    fi
done
echo "$((2 - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
