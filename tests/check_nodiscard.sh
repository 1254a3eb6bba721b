#!/usr/bin/env bash
# Compiles tests/compile/discarded_awaitables.cpp and checks that each line marked "warns"
# draws an unused-result warning, and nothing else does.
#   check_nodiscard.sh CXX INCLUDE_DIR
set -euo pipefail
src="$(dirname "$0")/compile/discarded_awaitables.cpp"
out=$("$1" -std=c++20 -I"$2" -fsyntax-only -Wunused-result "$src" 2>&1 || true)
warned=$(grep -oE 'discarded_awaitables.cpp:[0-9]+:[0-9]+: warning: ignoring return' <<<"$out" |
    cut -d: -f2 | sort -un)
marked=$(grep -n '// warns' "$src" | cut -d: -f1 | sort -un)
if [ "$warned" != "$marked" ]; then
    echo "lines marked: $(echo $marked)"
    echo "lines warned: $(echo $warned)"
    echo "$out"
    exit 1
fi
echo "all $(wc -w <<<"$marked") discarded awaitables warned"
