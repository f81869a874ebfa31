# shellcheck shell=bash
# tests/interop/lib/mirror.sh — what the mirror's bash suites share; source
# it after lib/broker.sh (it uses t_fail, t_summary, $T_TMP, $STRAIT_ROOT).
#
#   mirror_program NAME   compile NAME.c (from the current directory) under
#                         ASan+UBSan against the mirror and common libraries
#                         into $T_TMP/NAME and set bin to it; on failure fail
#                         the suite and end it

mirror_program() {
    local name=$1
    local libs="-lev -lyaml -lz -lzstd -llz4 -lsnappy -lsqlite3 -lmicrohttpd -lpthread -lm"
    local san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    if ! make -C "$STRAIT_ROOT" --no-print-directory -s -j2 build/asan/libstrait-mirror.a \
        build/asan/libstrait.a >"$T_TMP/make.log" 2>&1; then
        t_fail "build/asan/libstrait-mirror.a and libstrait.a build" "$(tail -5 "$T_TMP/make.log")"
        t_summary
    fi
    bin=$T_TMP/$name
    # shellcheck disable=SC2086
    if ! gcc -std=gnu11 -O1 -g $san -Wall -Wextra -Werror -D_GNU_SOURCE -I"$STRAIT_ROOT" \
        -o "$bin" "$name.c" "$STRAIT_ROOT/build/asan/libstrait-mirror.a" \
        "$STRAIT_ROOT/build/asan/libstrait.a" $libs 2>"$T_TMP/cc.err"; then
        t_fail "$name.c compiles against the mirror library" "$(head -20 "$T_TMP/cc.err")"
        t_summary
    fi
}
