# Sourced by bench/compare and bench/echo_instructions: the echo servers compared, how to build
# the peers that are not built by CMake, and how to start one. Every server prints "Serving on
# 127.0.0.1:PORT" and ends on SIGTERM. Run from the project's root after a release build.
b=build/release
py=/usr/bin/python3  # Debian's python3-uvloop belongs to it
ALL_SERVERS=(c_epoll c_io_uring aio_epoll aio_io_uring aio_protocol_epoll aio_protocol_io_uring asio tokio go node
             uvloop_protocols uvloop_streams asyncio_protocols asyncio_streams)
declare -A SERVER_CMD=(
    [c_epoll]="$b/bench/echo_c_epoll 0"
    [c_io_uring]="$b/bench/echo_c_uring 0"
    [aio_epoll]="$b/examples/echo_server --port 0 --backend epoll"
    [aio_io_uring]="$b/examples/echo_server --port 0 --backend io_uring"
    [aio_protocol_epoll]="$b/examples/echo_protocol --port 0 --backend epoll"
    [aio_protocol_io_uring]="$b/examples/echo_protocol --port 0 --backend io_uring"
    [asio]="$b/bench/echo_asio 0"
    [tokio]="$b/bench/tokio/release/tokio_echo 0"
    [go]="env GOMAXPROCS=1 $b/bench/echo_go 0"
    [node]="node bench/peers/echo_node.js 0"
    [uvloop_protocols]="$py bench/peers/echo_asyncio.py protocols uvloop 0"
    [uvloop_streams]="$py bench/peers/echo_asyncio.py streams uvloop 0"
    [asyncio_protocols]="$py bench/peers/echo_asyncio.py protocols asyncio 0"
    [asyncio_streams]="$py bench/peers/echo_asyncio.py streams asyncio 0"
)
declare -A SERVER_MISSING=()  # name -> why it is not measured

# Builds Go's and Tokio's servers and task benchmarks (offline: Tokio from Debian's crates in
# /usr/share/cargo/registry) and notes every peer that cannot run here, and why.
build_peers() {
    if ! command -v go >/dev/null; then
        SERVER_MISSING[go]="go is not installed (Debian: golang-go)"
    else
        for prog in echo_go go_tasks; do
            GOCACHE="$PWD/$b/bench/go-cache" GO111MODULE=off go build -o "$b/bench/$prog" \
                "bench/peers/$prog.go" || SERVER_MISSING[go]="go build failed"
        done
    fi
    if ! command -v cargo >/dev/null || ! compgen -G "/usr/share/cargo/registry/tokio-1.*" >/dev/null; then
        SERVER_MISSING[tokio]="cargo or Debian's librust-tokio-dev is not installed"
    else
        mkdir -p "$b/bench/cargo-home"
        printf '%s\n' '[source.crates-io]' 'replace-with = "debian"' '[source.debian]' \
            'directory = "/usr/share/cargo/registry"' '[net]' 'offline = true' \
            >"$b/bench/cargo-home/config.toml"
        if ! CARGO_HOME="$PWD/$b/bench/cargo-home" CARGO_TARGET_DIR="$PWD/$b/bench/tokio" \
            cargo build --quiet --release --manifest-path bench/peers/tokio/Cargo.toml; then
            SERVER_MISSING[tokio]="Tokio did not build offline from Debian's crates"
        fi
    fi
    [ -x "$b/bench/echo_asio" ] || SERVER_MISSING[asio]="Boost's headers are not installed (Debian: libboost-dev)"
    command -v node >/dev/null || SERVER_MISSING[node]="node is not installed (Debian: nodejs)"
    if ! "$py" -c 'import uvloop' 2>/dev/null; then
        SERVER_MISSING[uvloop_protocols]="uvloop is not installed (Debian: python3-uvloop)"
        SERVER_MISSING[uvloop_streams]=${SERVER_MISSING[uvloop_protocols]}
    fi
}

# available_servers NAME... -> the names that can run here
available_servers() {
    local n
    for n in "$@"; do [ -z "${SERVER_MISSING[$n]:-}" ] && echo "$n"; done
}

# start_server NAME OUTFILE [PREFIX...]: starts it in the background (under PREFIX, e.g. taskset
# or valgrind), sets SERVER_PID and SERVER_PORT; returns 1 if it did not say where it serves.
start_server() {
    local name=$1 out=$2
    shift 2
    # shellcheck disable=SC2086
    "$@" ${SERVER_CMD[$name]} >"$out" 2>/dev/null &
    SERVER_PID=$!
    SERVER_PORT=
    for _ in $(seq 600); do
        SERVER_PORT=$(sed -n 's/^Serving on .*:\([0-9]*\)$/\1/p' "$out")
        [ -n "$SERVER_PORT" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# SIGTERM, and SIGKILL if it is still there 10 s later (valgrind may hold a signal back from a
# process blocked in io_uring_enter).
stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}
