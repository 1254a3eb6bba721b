#!/usr/bin/env bash
# check_interop.sh ECHO_SERVER ECHO_CLIENT: aio against a peer nobody here wrote — python3's
# asyncio. The aio echo server is driven by an asyncio client (lines and 1 MiB of binary, every
# byte checked); the aio echo client (the talks' program) talks to an asyncio server. Loopback
# only; every process is bounded and stopped on exit.
set -euo pipefail
server_bin=$1 client_bin=$2
here=$(dirname "$0")
out=$(mktemp)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -f "$out"' EXIT

wait_port() {  # prints the port once the process has said "Serving on ...:PORT"
    for _ in $(seq 100); do
        port=$(sed -n 's/^Serving on .*:\([0-9]*\)$/\1/p' "$out")
        [ -n "$port" ] && { echo "$port"; return; }
        sleep 0.05
    done
    echo "server did not start" >&2
    exit 1
}

"$server_bin" --port 0 >"$out" &
pids+=($!)
port=$(wait_port)
timeout 30 python3 "$here/peer_asyncio.py" client "$port"

: >"$out"
timeout 30 python3 "$here/peer_asyncio.py" server 7 >"$out" &
pids+=($!)
port=$(wait_port)
lines=$(timeout 30 "$client_bin" --port "$port")
echo "$lines"
for name in oxford stilton kikorangi danish cheddar roquefort gorgonzola; do
    got=$(grep "^'$name' " <<<"$lines" | tr '\n' ' ')
    [ "$got" = "'$name' [0] '$name' [1] '$name' [2] '$name' [3] " ] || {
        echo "FAIL: $name: $got" >&2
        exit 1
    }
done
