#!/usr/bin/env bash
# Run pyaudit's core tests (native backend) under valgrind memcheck and fail
# if any error's stack passes through pyaudit's own code.
#     tools/memcheck.sh [python]        (default: python3)
#
# The extension is built in a copy of the working tree with
# PYAUDIT_MEMCHECK=1: the hook then reads event names byte by byte instead
# of a word at a time (valgrind cannot follow that the bytes past a name's
# end, read within the same page and masked off, never matter).  CPython
# and glibc produce errors of their own under valgrind without CPython's
# suppression file (uninitialised values in the allocator, AVX2 string
# reads); those are counted and shown, not judged.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. tools/build_copy.sh
build_copy "$work" "$python" PYAUDIT_MEMCHECK=1
log=$(mktemp)
cd "$work/tree"
PYTHONMALLOC=malloc valgrind --tool=memcheck --leak-check=no \
    --num-callers=30 "$("$python" -c 'import sys; print(sys.executable)')" \
    -m pytest -q -p no:cacheprovider -k native \
    tests/api/test_delivery.py tests/api/test_subscriptions.py \
    tests/api/test_patterns.py >"$log" 2>&1 || true
if ! grep -qE "[0-9]+ passed" "$log"; then
    echo "memcheck: no test passed under valgrind; see $log"
    exit 1
fi
grep -E "passed|failed" "$log" | tail -1
contexts=$(grep -cE "^==[0-9]+== (Invalid|Conditional|Use of|Mismatched)" \
           "$log" || true)
ours=$(awk '/^==[0-9]+== (Invalid|Conditional|Use of|Mismatched)/{inside=1}
            inside && /pyaudit|csrc\//{count++}
            /^==[0-9]+== $/{inside=0}
            END{print count+0}' "$log")
echo "memcheck: $contexts error contexts in all, $ours frames in pyaudit's code"
echo "log: $log"
[ "$ours" = 0 ]
