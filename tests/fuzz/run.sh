#!/usr/bin/env bash
# Runs a libFuzzer target on a seed corpus made from the golden vectors.
# Usage: tests/fuzz/run.sh TARGET SECONDS   (targets: fuzz_request, fuzz_record_batch)
# Findings land in build/fuzz/findings-TARGET/; the grown corpus in build/fuzz/corpus-TARGET/.
set -eu
cd "$(dirname "$0")/../.."
target=${1:-fuzz_request}
seconds=${2:-60}
corpus=build/fuzz/corpus-$target
findings=build/fuzz/findings-$target
mkdir -p "$corpus" "$findings"
case $target in
fuzz_request)
    cp tests/golden/*/*-request.bin "$corpus"/ 2>/dev/null || true
    if [ -d ../shared/kafka-protocol/captures ]; then
        python3 tests/fuzz/seed_from_captures.py ../shared/kafka-protocol "$corpus"
    fi ;;
fuzz_record_batch)
    python3 tests/fuzz/seed_record_batches.py tests/golden "$corpus" ;;
esac
echo "corpus: $(ls "$corpus" | wc -l) files; running $target for ${seconds}s"
exec "build/fuzz/$target" -max_total_time="$seconds" -artifact_prefix="$findings/" \
    -max_len=1048576 -rss_limit_mb=2048 "$corpus"
