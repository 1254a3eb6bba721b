#!/usr/bin/env bash
# check_protocol_interop.sh ECHO_PROTOCOL: the Protocol-based aio echo server (examples/
# echo_protocol.cpp) driven by python3's asyncio client (lines and 1 MiB of binary, every byte
# checked), then stopped with SIGTERM (status 0). Loopback only; bounded.
set -euo pipefail
server_bin=$1
here=$(dirname "$0")
out=$(mktemp)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$out"' EXIT
"$server_bin" --port 0 >"$out" &
pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^Serving on .*:\([0-9]*\)$/\1/p' "$out")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "server did not start" >&2; exit 1; }
timeout 30 python3 "$here/peer_asyncio.py" client "$port"
kill -TERM "$pid"
wait "$pid" || { echo "FAIL: echo_protocol exited $? on SIGTERM" >&2; exit 1; }
pid=
echo "PASS"
