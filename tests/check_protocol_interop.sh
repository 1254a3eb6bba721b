#!/usr/bin/env bash
# check_protocol_interop.sh SERVER [PEER.py ARGS...]: an aio server built on protocols (examples/
# echo_protocol.cpp by default, examples/udp_echo_server.cpp) driven by a python3 asyncio peer
# (default: peer_asyncio.py client: lines and 1 MiB of binary, every byte checked; the peer gets
# the port as its last argument), then stopped with SIGTERM (status 0). Loopback only; bounded.
set -euo pipefail
server_bin=$1
shift
peer=("${@:-peer_asyncio.py}")
[ $# -gt 0 ] || peer+=(client)
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
timeout 30 python3 "$here/${peer[0]}" "${peer[@]:1}" "$port"
kill -TERM "$pid"
wait "$pid" || { echo "FAIL: $server_bin exited $? on SIGTERM" >&2; exit 1; }
pid=
echo "PASS"
