#!/usr/bin/env bash
# check_interop.sh ECHO_SERVER ECHO_CLIENT: aio against a peer nobody here wrote — python3's
# asyncio. The aio echo server is driven by an asyncio client (lines and 1 MiB of binary, every
# byte checked) and stopped with SIGINT and SIGTERM (status 0); the aio echo client (the talks'
# program) talks to an asyncio server. Loopback only; every process is bounded and stopped on
# exit.
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

# (A background job starts with SIGINT ignored, and aio::run leaves an ignored SIGINT alone:
# the server is started with SIGINT at its default, as from a terminal.)
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$server_bin" --port 0 >"$out" &
pids+=($!)
port=$(wait_port)
timeout 30 python3 "$here/peer_asyncio.py" client "$port"
# SIGINT, then SIGTERM on a second server: each ends the server with status 0.
kill -INT "${pids[0]}"
wait "${pids[0]}" || { echo "FAIL: echo_server exited $? on SIGINT" >&2; exit 1; }
: >"$out"
"$server_bin" --port 0 >"$out" &
pids+=($!)
wait_port >/dev/null
kill -TERM "${pids[-1]}"
wait "${pids[-1]}" || { echo "FAIL: echo_server exited $? on SIGTERM" >&2; exit 1; }

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
