#!/usr/bin/env bash
# echo_smoke.sh SERVER LOADGEN: the echo benchmark's tools work together on loopback — the load
# generator checks every echoed byte (small and large messages) and exits non-zero on a wrong
# one. Bounded: a fraction of a second each; the server is stopped on exit.
set -euo pipefail
server=$1 loadgen=$2
out=$(mktemp)
"$server" 0 >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q Serving "$out" && break; sleep 0.1; done
port=$(sed -n 's/^Serving on 127.0.0.1:\([0-9]*\)$/\1/p' "$out")
[ -n "$port" ] || { echo "server did not start" >&2; exit 1; }
for size in 1 1024 102400; do
    line=$("$loadgen" --port "$port" --connections 8 --size "$size" --duration 0.3 --warmup 0)
    echo "$line"
    requests=$(sed -n 's/.* requests=\([0-9]*\) .*/\1/p' <<<"$line")
    [ "${requests:-0}" -gt 0 ] || { echo "no round trips at size $size" >&2; exit 1; }
done
