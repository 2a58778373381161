#!/usr/bin/env bash
# The interpreter stress test at its full sizes: 2, 4 and 8 subinterpreters
# each raising at least 200,000 events while the main interpreter opens and
# closes 10,000 subscriptions, 5 times (the suite runs 20,000 and 1,000, 6
# times; see tests/reliability/test_interpreters_stress.py).
#     tools/stress_interpreters.sh [PYTHON | 3.14 | 3.15 ...]
# Each PYTHON must have the test requirements (default: python3); 3.14 and
# 3.15 run Debian's builds through tools/debian_python.py.  Exit status:
# 0 when every run passed.
set -uo pipefail
cd "$(dirname "$0")/.."
test_file=tests/reliability/test_interpreters_stress.py
export PYAUDIT_STRESS=full
[ "$#" = 0 ] && set -- python3
status=0
for python in "$@"; do
    echo "=== $python: $test_file, PYAUDIT_STRESS=full"
    case "$python" in
        3.1[4-9])
            python3 tools/debian_python.py "$python" "$test_file" ;;
        *)
            "$python" -m pytest -q -p no:cacheprovider "$test_file" ;;
    esac || status=1
done
exit "$status"
