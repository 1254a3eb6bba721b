#!/usr/bin/env bash
# check_tls_interop.sh TLS_ECHO_SERVER TLS_ECHO_CLIENT: aio's TLS against peers nobody here
# wrote — Python's asyncio with its ssl module and openssl (s_client, s_server) both ways, and
# curl. Certificates
# (a CA and a server certificate for localhost / 127.0.0.1) are made here with the openssl
# command, in a temporary directory removed on exit. Loopback only; every process is bounded.
set -euo pipefail
server_bin=$1 client_bin=$2
here=$(dirname "$0")
dir=$(mktemp -d)
out=$dir/out
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$dir"' EXIT

# make_ca DIR: DIR/ca.key and DIR/ca.pem, a self-signed CA.
make_ca() {
    mkdir -p "$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=interop test CA" -keyout "$1/ca.key" -out "$1/ca.pem" 2>/dev/null
}
make_ca "$dir"
make_ca "$dir/other"  # a CA that signed nothing the servers use
# The server's certificate, for localhost and 127.0.0.1, signed by the first CA.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$dir/ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/ext" -out "$dir/server.pem" 2>/dev/null

wait_port() {  # prints the port once the process has said "Serving on ...:PORT"
    for _ in $(seq 200); do
        port=$(sed -n 's/^Serving on .*:\([0-9]*\)$/\1/p' "$out")
        [ -n "$port" ] && { echo "$port"; return; }
        sleep 0.05
    done
    echo "server did not start" >&2
    exit 1
}

# 1. The aio TLS server, driven by Python's asyncio + ssl (lines and 1 MiB, every byte checked)
# and by openssl s_client; then stopped with SIGTERM (status 0).
"$server_bin" --port 0 --cert "$dir/server.pem" --key "$dir/server.key" >"$out" &
pids+=($!)
port=$(wait_port)
timeout 30 python3 "$here/peer_asyncio.py" client "$port" --cafile "$dir/ca.pem"
# (stdin stays open a moment so that the echo comes back before s_client ends at its EOF)
got=$( (printf 'hello from openssl\n'; sleep 1) | timeout 10 openssl s_client \
    -connect "127.0.0.1:$port" -servername localhost -verify_hostname localhost \
    -CAfile "$dir/ca.pem" -verify_return_error -quiet -no_ign_eof 2>/dev/null | head -1)
[ "$got" = "hello from openssl" ] || { echo "FAIL: openssl s_client got '$got'" >&2; exit 1; }
# curl verifies the certificate and sends a request, which comes back as an HTTP/0.9 body (the
# server echoes and never ends the stream: curl stops at its --max-time, status 28).
set +e
got=$(curl -sS -v --http0.9 --max-time 2 --cacert "$dir/ca.pem" "https://127.0.0.1:$port/tls" \
    2>"$dir/curl.err" | head -1 | tr -d '\r')
set -e
grep -q "SSL certificate verify ok" "$dir/curl.err" || { cat "$dir/curl.err" >&2; exit 1; }
[ "$got" = "GET /tls HTTP/1.1" ] || { echo "FAIL: curl got '$got'" >&2; exit 1; }
kill -TERM "${pids[0]}"
wait "${pids[0]}" || { echo "FAIL: tls_echo_server exited $? on SIGTERM" >&2; exit 1; }

# 2. The aio TLS client (the talks' program) against Python's asyncio TLS server.
: >"$out"
timeout 30 python3 "$here/peer_asyncio.py" server 7 --cert "$dir/server.pem" \
    --key "$dir/server.key" >"$out" &
pids+=($!)
port=$(wait_port)
lines=$(timeout 30 "$client_bin" --port "$port" --cafile "$dir/ca.pem" --server-hostname localhost)
for name in oxford stilton kikorangi danish cheddar roquefort gorgonzola; do
    got=$(grep "^'$name' " <<<"$lines" | tr '\n' ' ')
    [ "$got" = "'$name' [0] '$name' [1] '$name' [2] '$name' [3] " ] || {
        echo "FAIL: $name: $got" >&2
        exit 1
    }
done

# 3. The aio TLS client against openssl s_server -rev (which sends each line back reversed, one
# connection at a time); then the same client refuses it when its CA did not sign the server's
# certificate, with the verification error and status 1.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout 30 openssl s_server -accept "127.0.0.1:$port" -cert "$dir/server.pem" \
    -key "$dir/server.key" -rev -quiet >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port)).close()" \
        2>/dev/null && break
    sleep 0.05
done
lines=$(timeout 30 "$client_bin" --port "$port" --cafile "$dir/ca.pem" --server-hostname localhost)
got=$(grep -c "^'aloznogrog' \[[0-3]\]$" <<<"$lines" || true)
[ "$got" = 4 ] || { echo "FAIL: against s_server -rev: $lines" >&2; exit 1; }
set +e
err=$(timeout 30 "$client_bin" --port "$port" --cafile "$dir/other/ca.pem" 2>&1 >/dev/null)
status=$?
set -e
[ $status -eq 1 ] || { echo "FAIL: the client exited $status against an unknown CA" >&2; exit 1; }
grep -q "certificate verify failed" <<<"$err" || { echo "FAIL: the client said: $err" >&2; exit 1; }
echo "aio TLS against asyncio+ssl, openssl and curl: OK"
