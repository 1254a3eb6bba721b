#!/usr/bin/env bash
# check_example.sh BINARY EXAMPLE_PREFIX
# Runs an example on the virtual clock and compares its whole output with EXAMPLE_PREFIX.expected;
# where EXAMPLE_PREFIX.py exists (the asyncio original), python3 must print the same.
set -euo pipefail
binary=$1 prefix=$2
expected=$prefix.expected
actual=$(AIO_VIRTUAL_TIME=1 "$binary")
if ! diff -u "$expected" <(printf '%s\n' "$actual"); then
    echo "FAIL: $binary differs from $expected" >&2
    exit 1
fi
if [ -f "$prefix.py" ] && command -v python3 >/dev/null; then
    python_out=$(python3 "$(dirname "$0")/fast_asyncio.py" "$prefix.py")
    if ! diff -u <(printf '%s\n' "$python_out") <(printf '%s\n' "$actual"); then
        echo "FAIL: $binary differs from what python3 prints for $prefix.py" >&2
        exit 1
    fi
fi
