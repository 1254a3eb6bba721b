// The showcase (`make demo`): C10K on loopback. An aio echo server and 10,000 client
// connections, every one of them doing round trips at once for a few seconds, all on one
// thread per process; a live progress line, then a summary: round trips, requests/s, latency
// percentiles, peak memory and memory per connection. Every echoed byte is checked. Then the
// same job against the talks' Python asyncio echo server (asyncio streams; on uvloop too where
// python3-uvloop is installed), and the three side by side.
//
// The server runs in a child process (aio::create_subprocess_exec of this same program, or of
// python3, stopped with SIGTERM), so that each server's memory is its own. The demo raises its
// soft fd limit to what the clients need; when the hard limit cannot hold them, it says so and
// uses the connections that fit.
//
//   showcase [--connections 10000] [--seconds 5] [--size 128] [--backend io_uring|epoll]
//   showcase --serve   (the server half, run by the demo itself)
#include <sys/resource.h>
#include <unistd.h>

#include <aio/aio.hpp>
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr long kFdsBesideConnections = 64;  // the loop, the listener, stdio, pipes, spare
constexpr int kConnectingAtOnce = 512;      // keeps the listener's SYN queue from overflowing

double kib(long bytes) {
    return static_cast<double>(bytes) / 1024.0;
}

// Resident memory now, and the most this process has held.
long rss_bytes() {
    long pages = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return resident * ::sysconf(_SC_PAGESIZE);
}
long peak_rss_bytes() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss * 1024L;
}

// Raises the soft fd limit to `wanted` if the hard limit allows; returns the soft limit now.
long raise_fd_limit(long wanted) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    const rlim_t target = std::min<rlim_t>(static_cast<rlim_t>(wanted), limit.rlim_max);
    if (limit.rlim_cur < target) {
        limit.rlim_cur = target;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    return static_cast<long>(limit.rlim_cur);
}
long hard_fd_limit() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_max == RLIM_INFINITY ? 1L << 30 : static_cast<long>(limit.rlim_max);
}

// ---- the server --------------------------------------------------------------------------------

aio::Task<> echo(aio::StreamReader reader, aio::StreamWriter writer) {
    try {
        while (true) {
            std::string data = co_await reader.read(64 * 1024);
            if (data.empty()) break;
            writer.write(data);
            co_await writer.drain();
        }
    } catch (const std::system_error&) {
        // a client that vanished: its connection ends here
    }
}

// The server half, a process of its own: prints its port, serves until SIGTERM, then prints
// what it measured of its memory.
aio::Task<> serve_until_sigterm() {
    aio::ServerOptions options;
    options.backlog = 4096;
    aio::StreamHandler handler = echo;  // (named: g++ 12)
    aio::Server server = co_await aio::start_server(std::move(handler), "127.0.0.1", 0, options);
    const long base = rss_bytes();
    std::printf("port %u\n", server.sockets()[0].port());
    std::fflush(stdout);
    co_await aio::wait_for_signal(SIGTERM, SIGINT);  // (Ctrl-C reaches it too, from a terminal)
    server.close();
    co_await server.wait_closed();
    std::printf("rss_base %ld rss_peak %ld\n", base, peak_rss_bytes());
}

// ---- the clients -------------------------------------------------------------------------------

struct Load {
    int connections = 0;  // asked for
    int size = 128;       // bytes per message
    int connected = 0;
    int failed = 0;
    std::string first_error;
    bool go = false;
    bool stop = false;
    aio::Event all_connected;
    aio::Event start;
    std::vector<std::uint32_t> latencies_ns;  // one per round trip
    long mismatches = 0;
};

aio::Task<> client(Load& load, aio::Semaphore& connecting, std::uint16_t port, int id) {
    std::optional<std::pair<aio::StreamReader, aio::StreamWriter>> connection;
    std::string message(static_cast<std::size_t>(load.size), static_cast<char>('a' + id % 26));
    co_await connecting.acquire();
    try {
        // Connected once the server has answered (not merely once the kernel has queued the
        // connection for it to accept): one round trip, not timed.
        connection.emplace(co_await aio::open_connection("127.0.0.1", port));
        connection->second.write(message);
        if (co_await connection->first.readexactly(message.size()) != message) ++load.mismatches;
        ++load.connected;
    } catch (const std::exception& e) {
        if (load.failed++ == 0) load.first_error = e.what();
        connection.reset();
    }
    connecting.release();
    if (load.connected + load.failed == load.connections) load.all_connected.set();
    if (!connection) co_return;
    auto& [reader, writer] = *connection;

    co_await load.start.wait();
    try {
        for (std::uint32_t n = 0; !load.stop; ++n) {
            std::copy_n(reinterpret_cast<const char*>(&n), sizeof n, message.begin());
            const auto sent = Clock::now();
            writer.write(message);
            co_await writer.drain();
            const std::string echoed = co_await reader.readexactly(message.size());
            load.latencies_ns.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - sent).count()));
            load.mismatches += echoed != message;
        }
    } catch (const std::exception& e) {
        if (load.failed++ == 0) load.first_error = e.what();
    }
    writer.close();
    co_await writer.wait_closed();
}

// A progress line twice a second: rewritten in place on a terminal, one per second otherwise.
aio::Task<> show_progress(const Load& load) {
    const bool tty = ::isatty(STDOUT_FILENO);
    const auto t0 = Clock::now();
    std::size_t last_trips = 0;
    auto last = t0;
    for (int tick = 0;; ++tick) {
        co_await aio::sleep(500ms);
        const auto now = Clock::now();
        const std::size_t trips = load.latencies_ns.size();
        const double rate = static_cast<double>(trips - last_trips) /
                            std::chrono::duration<double>(now - last).count();
        last_trips = trips;
        last = now;
        if (!tty && tick % 2 == 0) continue;
        std::printf("%s  %5.1f s  connections %d/%d  round trips %zu  %.0f/s%s", tty ? "\r" : "",
                    std::chrono::duration<double>(now - t0).count(), load.connected,
                    load.connections, trips, rate, tty ? "   " : "\n");
        std::fflush(stdout);
    }
}

std::uint32_t percentile(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) return 0;
    auto nth = v.begin() + static_cast<long>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), nth, v.end());
    return *nth;
}

struct Options {
    int connections = 10'000;
    double seconds = 5;
    int size = 128;
};

// The talks' echo server in Python's asyncio (streams), run by `python3 -c`: prints its port,
// serves until SIGTERM, then prints what it measured of its memory, as `showcase --serve`
// does. With --uvloop it runs on uvloop, or says "unavailable" when that is not installed.
constexpr const char* kAsyncioServer = R"py(
import asyncio, resource, signal, sys
if "--uvloop" in sys.argv:
    try:
        import uvloop
    except ImportError:
        print("unavailable: uvloop is not installed (Debian: python3-uvloop)", flush=True)
        sys.exit(0)
    uvloop.install()
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()

async def echo(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()

async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", 0, backlog=4096)
    base = rss()
    print("port", server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print("rss_base", base, "rss_peak", peak, flush=True)

asyncio.run(main())
)py";

// One round: the load against one server.
struct Round {
    std::string server;
    long connections = 0;  // asked for
    int connected = 0;
    int failed = 0;
    std::string first_error;
    long mismatches = 0;
    std::size_t trips = 0;
    double seconds = 0;  // measured
    double p50_us = 0, p99_us = 0;
    double client_kib_per_connection = 0;
    double server_peak_mib = 0, server_kib_per_connection = 0;

    double rps() const { return seconds > 0 ? static_cast<double>(trips) / seconds : 0; }
    bool ok() const { return failed == 0 && mismatches == 0 && trips > 0; }
};

// Starts the server (program and args), runs the load against it, stops it. nullopt if the
// server says it is unavailable.
aio::Task<std::optional<Round>> run_round(std::string name, std::string program,
                                          std::vector<std::string> args, long n,
                                          const Options& opt) {
    aio::ProcessOptions po;
    po.out = aio::PIPE;
    aio::Process child = co_await aio::create_subprocess_exec(program, args, po);
    const std::string line = co_await child.out().readline();
    std::uint16_t port = 0;
    if (line.rfind("unavailable: ", 0) == 0) {
        std::printf("%s: not run (%s)\n", name.c_str(), line.substr(13, line.size() - 14).c_str());
        co_await child.wait();
        co_return std::nullopt;
    }
    if (std::sscanf(line.c_str(), "port %hu", &port) != 1) {
        child.kill();
        co_await child.wait();
        throw aio::RuntimeError(name + ": the server process did not start: '" + line + "'");
    }

    Load load;
    load.connections = static_cast<int>(n);
    load.size = opt.size;
    load.latencies_ns.reserve(1 << 20);
    const long rss_before = rss_bytes();
    aio::Semaphore connecting(kConnectingAtOnce);
    std::vector<aio::TaskHandle<>> clients;
    clients.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        clients.push_back(aio::create_task(client(load, connecting, port, i)));
    auto progress = aio::create_task(show_progress(load));

    if (n > 0) co_await load.all_connected.wait();
    const long rss_connected = rss_bytes();
    const auto t0 = Clock::now();
    load.start.set();
    co_await aio::sleep(std::chrono::duration<double>(opt.seconds));
    load.stop = true;
    for (auto& c : clients)
        co_await c;
    Round round;
    round.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    progress.cancel();
    std::vector<aio::TaskHandle<>> progress_done{progress};
    co_await aio::wait(progress_done);
    if (::isatty(STDOUT_FILENO)) std::printf("\n");

    long server_base = 0, server_peak = 0;
    child.terminate();
    const std::string memory = co_await child.out().readline();
    std::sscanf(memory.c_str(), "rss_base %ld rss_peak %ld", &server_base, &server_peak);
    co_await child.wait();

    round.server = std::move(name);
    round.connections = n;
    round.connected = load.connected;
    round.failed = load.failed;
    round.first_error = load.first_error;
    round.mismatches = load.mismatches;
    round.trips = load.latencies_ns.size();
    round.p50_us = percentile(load.latencies_ns, 0.50) / 1e3;
    round.p99_us = percentile(load.latencies_ns, 0.99) / 1e3;
    round.client_kib_per_connection =
        n ? kib(rss_connected - rss_before) / static_cast<double>(n) : 0.0;
    round.server_peak_mib = kib(server_peak) / 1024;
    round.server_kib_per_connection =
        n ? kib(server_peak - server_base) / static_cast<double>(n) : 0.0;
    co_return round;
}

void print_summary(const Round& r) {
    std::printf("\n%-26s %d of %ld (%d failed)\n", "connections", r.connected, r.connections,
                r.failed);
    std::printf("%-26s %zu in %.2f s (every byte checked: %ld mismatches)\n", "round trips",
                r.trips, r.seconds, r.mismatches);
    std::printf("%-26s %.0f\n", "requests/s", r.rps());
    std::printf("%-26s p50 %.0f us, p99 %.0f us\n", "latency", r.p50_us, r.p99_us);
    std::printf("%-26s clients %.1f MiB, server %.1f MiB\n", "peak RSS",
                kib(peak_rss_bytes()) / 1024, r.server_peak_mib);
    std::printf("%-26s clients %.1f KiB, server %.1f KiB\n", "memory per connection",
                r.client_kib_per_connection, r.server_kib_per_connection);
    if (!r.first_error.empty()) std::printf("first error: %s\n", r.first_error.c_str());
}

// The rounds in columns, the way the talks' claim reads.
void print_side_by_side(const std::vector<Round>& rounds) {
    std::printf("\n%-26s", "side by side");
    for (const Round& r : rounds)
        std::printf(" %16s", r.server.c_str());
    std::printf("\n%-26s", "connections held");
    for (const Round& r : rounds)
        std::printf(" %16d", r.connected);
    std::printf("\n%-26s", "round trips");
    for (const Round& r : rounds)
        std::printf(" %16zu", r.trips);
    std::printf("\n%-26s", "requests/s");
    for (const Round& r : rounds)
        std::printf(" %16.0f", r.rps());
    std::printf("\n%-26s", "p99 latency (ms)");
    for (const Round& r : rounds)
        std::printf(" %16.1f", r.p99_us / 1e3);
    std::printf("\n%-26s", "server KiB per connection");
    for (const Round& r : rounds)
        std::printf(" %16.1f", r.server_kib_per_connection);
    std::printf("\n%-26s", "vs aio, requests/s");
    for (const Round& r : rounds)
        std::printf(" %15.2fx", rounds[0].rps() > 0 ? r.rps() / rounds[0].rps() : 0.0);
    std::printf("\n");
    for (const Round& r : rounds)
        if (r.server != "aio" && !r.first_error.empty())
            std::printf("first error (%s): %s\n", r.server.c_str(), r.first_error.c_str());
}

aio::Task<int> run_demo(Options opt, std::string self) {
    const auto began = Clock::now();
    auto& loop = aio::get_running_loop();

    // How many connections fit (each process holds one end of each).
    const long hard = hard_fd_limit();
    long n = opt.connections;
    if (hard < n + kFdsBesideConnections) {
        n = std::max(0L, hard - kFdsBesideConnections);
        std::printf(
            "note: the fd hard limit is %ld, so only %ld connections fit (run as root "
            "or raise `ulimit -Hn` for more)\n",
            hard, n);
    }
    raise_fd_limit(n + kFdsBesideConnections);

    std::printf(
        "aio C10K showcase on %s: %ld connections to an echo server on 127.0.0.1, "
        "%.0f s of round trips with %d-byte messages\n(the server in a child process, the "
        "clients in this one)\n",
        loop.backend_name(), n, opt.seconds, opt.size);
    std::fflush(stdout);
    std::vector<std::string> serve_args{"--serve"};
    auto aio_round = co_await run_round("aio", self, serve_args, n, opt);
    print_summary(*aio_round);
    std::vector<Round> rounds{*aio_round};

    std::printf("\nThe same job against the talks' Python asyncio echo server:\n");
    std::fflush(stdout);
    const std::string python = "/usr/bin/python3";
    for (const char* variant : {"asyncio", "uvloop"}) {
        std::vector<std::string> args{"-c", kAsyncioServer};
        if (std::string(variant) == "uvloop") args.push_back("--uvloop");
        std::optional<Round> round;
        try {
            round = co_await run_round(variant, python, args, n, opt);
        } catch (const std::system_error& e) {  // no python3
            std::printf("%s: not run (%s: %s)\n", variant, python.c_str(), e.what());
        }
        if (round) rounds.push_back(std::move(*round));
    }
    print_side_by_side(rounds);
    std::printf("%-26s %.1f s\n", "whole demo",
                std::chrono::duration<double>(Clock::now() - began).count());
    bool ok = true;
    for (const Round& r : rounds)
        ok = ok && r.ok();
    co_return ok ? 0 : 1;
}

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: showcase [--connections N] [--seconds S] [--size BYTES] "
                 "[--backend io_uring|epoll]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    aio::LoopOptions loop_options;
    bool serve = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--serve") {
            serve = true;
        } else if (arg == "--connections" && has_value) {
            opt.connections = std::atoi(argv[++i]);
        } else if (arg == "--seconds" && has_value) {
            opt.seconds = std::atof(argv[++i]);
        } else if (arg == "--size" && has_value) {
            opt.size = std::atoi(argv[++i]);
        } else if (arg == "--backend" && has_value) {
            const std::string name = argv[++i];
            if (name == "io_uring")
                loop_options.backend = aio::BackendKind::io_uring;
            else if (name == "epoll")
                loop_options.backend = aio::BackendKind::epoll;
            else
                usage();
            ::setenv("AIO_BACKEND", name.c_str(), 1);  // for the server process too
        } else {
            usage();
        }
    }
    if (opt.connections < 1 || opt.seconds <= 0 || opt.size < 4 || opt.size > (1 << 20)) usage();

    if (serve) {
        raise_fd_limit(hard_fd_limit());
        aio::run(serve_until_sigterm(), loop_options);
        return 0;
    }
    try {
        return aio::run(run_demo(opt, "/proc/self/exe"), loop_options);
    } catch (const aio::KeyboardInterrupt&) {
        std::printf("\ninterrupted\n");  // every connection and the server's child are closed
        return 130;
    }
}
