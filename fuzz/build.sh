#!/bin/sh
# Build the pattern fuzz harness (see fuzz/README.md).
#
#   fuzz/build.sh                 libFuzzer + ASan + UBSan, with clang:
#                                 fuzz/fuzz_patterns
#   fuzz/build.sh standalone      a replay driver with any C compiler
#                                 (CC, default cc): fuzz/fuzz_patterns_replay
#
# Environment: CC, CFLAGS (added), PYTHON_CONFIG (default python3-config;
# the harness links libpython only because csrc/sub.c, ring.c and counts.c
# refer to the Python API: it never calls it), OUT (the output path).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SRC="$ROOT/csrc"
MODE=${1:-fuzzer}
PYTHON_CONFIG=${PYTHON_CONFIG:-python3-config}

# The core files a FILTER/COUNT sub and a table need (names.c is not
# referenced, but costs nothing and keeps the list that of the brief; a
# sub owns its where= rules, hence the rules files).
CORE="$SRC/pattern.c $SRC/table.c $SRC/sub.c $SRC/counts.c $SRC/ring.c \
$SRC/names.c $SRC/error.c $SRC/rules.c $SRC/rule_match.c $SRC/rule_text.c \
$SRC/roles.c $SRC/paths.c $SRC/net.c"

PY_CFLAGS=$($PYTHON_CONFIG --includes)
# --embed (3.8+) adds -lpythonX.Y; older python3-config has no --embed.
PY_LDFLAGS=$($PYTHON_CONFIG --embed --ldflags 2>/dev/null \
             || $PYTHON_CONFIG --ldflags)
WARN="-std=c11 -Wall -Wextra -Werror"

case "$MODE" in
fuzzer)
    CC=${CC:-clang}
    OUT=${OUT:-$HERE/fuzz_patterns}
    # shellcheck disable=SC2086  # word splitting of flag lists is wanted
    $CC $WARN -g -O1 -fno-omit-frame-pointer \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -I"$SRC" $PY_CFLAGS ${CFLAGS:-} \
        "$HERE/fuzz_patterns.c" $CORE \
        $PY_LDFLAGS -o "$OUT"
    ;;
standalone)
    CC=${CC:-cc}
    OUT=${OUT:-$HERE/fuzz_patterns_replay}
    # shellcheck disable=SC2086
    $CC $WARN -g -O1 -I"$SRC" $PY_CFLAGS ${CFLAGS:-} \
        "$HERE/fuzz_patterns.c" "$HERE/standalone_main.c" $CORE \
        $PY_LDFLAGS -o "$OUT"
    ;;
*)
    echo "usage: $0 [fuzzer|standalone]" >&2
    exit 2
    ;;
esac
echo "built $OUT"
