#!/usr/bin/env bash
# Run the parallel-interpreter tests with pyaudit's extension built with
# ThreadSanitizer, and fail if any report's stack passes through pyaudit's
# own code.
#     tools/tsan.sh [python] [pytest arguments...]
# python: a CPython 3.12 or newer with the test requirements (default
# python3); the pytest arguments default to the interpreter tests.
#
# The extension is built with -fsanitize=thread (PYAUDIT_SANITIZE=thread)
# in a copy of the working tree, so the tree's own build is left alone;
# CPython is not instrumented, so libtsan is preloaded and Python objects
# come from malloc (PYTHONMALLOC=malloc), where TSan sees every allocation
# and free.  What TSan can and cannot see with an uninstrumented CPython,
# and why no report is suppressed, is in tools/tsan.supp.  Children the
# tests start inherit the environment, so they run under TSan too.
# PYAUDIT_STRESS=full (tests/reliability/test_interpreters_stress.py)
# runs the stress at its full sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
python=${1:-python3}
shift || true
if [ "$#" = 0 ]; then
    set -- tests/reliability/test_interpreters.py \
        tests/reliability/test_interpreters_stress.py tests/embed/test_capi.py
fi
libtsan=$(gcc -print-file-name=libtsan.so)
if [ ! -e "$libtsan" ]; then
    echo "tools/tsan.sh needs gcc's ThreadSanitizer runtime (libtsan)" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/logs"
. tools/build_copy.sh
build_copy "$work" "$python" PYAUDIT_SANITIZE=thread
if [ "$(nm -D "$work"/tree/pyaudit/_pyaudit*.so | grep -c __tsan_)" = 0 ]
then
    echo "the extension was not built with ThreadSanitizer" >&2
    exit 2
fi

cd "$work/tree"
set +e
LD_PRELOAD=$libtsan PYTHONMALLOC=malloc \
    TSAN_OPTIONS="suppressions=$repo/tools/tsan.supp halt_on_error=0 exitcode=0 history_size=4 log_path=$work/logs/tsan" \
    "$python" -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
cat "$work"/logs/tsan.* >"$work/tsan.log" 2>/dev/null || true
reports=$(grep -c "^WARNING: ThreadSanitizer" "$work/tsan.log" || true)
ours=$(awk '
    /^WARNING: ThreadSanitizer/ {inside = 1; mine = 0}
    inside && /csrc\/|_pyaudit\./ {mine = 1}
    /^SUMMARY: ThreadSanitizer/ {if (inside && mine) count++; inside = 0}
    END {print count + 0}' "$work/tsan.log")
echo "tsan: $reports reports in all, $ours through pyaudit's code"
if [ "$reports" != 0 ]; then
    grep "^SUMMARY" "$work/tsan.log" | sort | uniq -c
    mkdir -p "$repo/.ci-logs"
    cp "$work/tsan.log" "$repo/.ci-logs/tsan.log"
    echo "reports: .ci-logs/tsan.log"
fi
[ "$status" = 0 ] && [ "$ours" = 0 ]
