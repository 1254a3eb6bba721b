// The echo load generator: its own process, one thread, plain epoll (so it measures servers
// without depending on them). Each connection keeps one request in flight: it sends `size`
// bytes, reads the echo, checks every byte, and records the round trip's latency. With
// --max-size each request has its own size, 1 to N bytes (the soak, bench/soak); with --report
// it prints its progress every S seconds.
//
//   loadgen --port P [--host 127.0.0.1] [--connections 100] [--size 1024] [--duration 5]
//           [--warmup 1] [--cpu K] [--max-size N] [--report S]
// prints: loadgen connections=.. size=.. seconds=.. requests=.. rps=.. p50_us=.. p99_us=.. errors=0
// ready_ms=.. (from the first connect until every connection had its first echo: how fast the
// server takes on connections), and exits 1 if a byte came back wrong or a connection failed.
// Loopback addresses only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    int connections = 100;
    std::size_t size = 1024;
    double duration = 5;
    double warmup = 1;
    int cpu = -1;
    std::size_t max_size = 0;  // 0: every request is `size` bytes
    double report = 0;         // seconds between progress lines (0: none)
};

struct Connection {
    int fd = -1;
    std::uint64_t seq = 0;  // request number, part of the byte pattern
    std::size_t sent = 0, received = 0;
    Clock::time_point started;
    std::vector<unsigned char> out, in;
};

unsigned char pattern(int conn, std::uint64_t seq, std::size_t i) {
    return static_cast<unsigned char>(conn * 31 + seq * 7 + i);
}

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "loadgen: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--host")
            o.host = v;
        else if (k == "--port")
            o.port = std::atoi(v.c_str());
        else if (k == "--connections")
            o.connections = std::atoi(v.c_str());
        else if (k == "--size")
            o.size = std::strtoul(v.c_str(), nullptr, 10);
        else if (k == "--duration")
            o.duration = std::atof(v.c_str());
        else if (k == "--warmup")
            o.warmup = std::atof(v.c_str());
        else if (k == "--cpu")
            o.cpu = std::atoi(v.c_str());
        else if (k == "--max-size")
            o.max_size = std::strtoul(v.c_str(), nullptr, 10);
        else if (k == "--report")
            o.report = std::atof(v.c_str());
        else {
            std::fprintf(stderr, "loadgen: unknown option %s\n", k.c_str());
            std::exit(2);
        }
    }
    in_addr a{};
    if (o.port <= 0 || o.connections <= 0 || o.size == 0 ||
        inet_pton(AF_INET, o.host.c_str(), &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
        std::fprintf(stderr, "loadgen: need --port and a 127.0.0.0/8 --host (loopback only)\n");
        std::exit(2);
    }
    return o;
}

// Sends what the socket takes; asks epoll for writability only while something is left.
void pump_send(int ep, Connection& c, int index) {
    const bool was_blocked = c.sent > 0 && c.sent < c.out.size();
    while (c.sent < c.out.size()) {
        ssize_t w = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN) break;
            die("send");
        }
        c.sent += static_cast<std::size_t>(w);
    }
    const bool blocked = c.sent < c.out.size();
    if (blocked != was_blocked) {
        epoll_event ev{};
        ev.events = EPOLLIN | (blocked ? EPOLLOUT : 0u);
        ev.data.u32 = static_cast<std::uint32_t>(index);
        epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    }
}

void start_request(int ep, Connection& c, int index, std::size_t max_size) {
    if (max_size > 0) {  // a size of its own, the same on every run
        const std::uint64_t h = (index * 0x9E3779B97F4A7C15ull) ^ (c.seq * 0xBF58476D1CE4E5B9ull);
        c.out.resize(1 + (h >> 17) % max_size);
        c.in.resize(c.out.size());
    }
    for (std::size_t i = 0; i < c.out.size(); ++i)
        c.out[i] = pattern(index, c.seq, i);
    c.sent = c.received = 0;
    c.started = Clock::now();
    pump_send(ep, c, index);
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    if (o.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(o.cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
    inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);

    const int ep = epoll_create1(EPOLL_CLOEXEC);
    const auto connecting = Clock::now();
    std::optional<Clock::duration> ready;  // every connection has had its first echo
    int answered = 0;
    std::vector<Connection> conns(o.connections);
    for (int i = 0; i < o.connections; ++i) {
        Connection& c = conns[i];
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c.fd < 0) die("socket");
        if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("connect");
        int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
        c.out.resize(o.size);
        c.in.resize(o.size);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<std::uint32_t>(i);
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        start_request(ep, c, i, o.max_size);
    }

    std::vector<std::uint32_t> latencies;  // ns, measured window only
    latencies.reserve(1 << 22);
    std::uint64_t requests = 0, errors = 0;
    const auto begin = Clock::now();
    const auto measure_from = begin + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(o.warmup));
    const auto end = measure_from + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(o.duration));
    std::vector<epoll_event> events(1024);
    auto next_report = begin + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(o.report));
    while (Clock::now() < end) {
        if (o.report > 0 && Clock::now() >= next_report) {
            std::printf("loadgen progress seconds=%.0f requests=%llu errors=%llu\n",
                        std::chrono::duration<double>(Clock::now() - begin).count(),
                        static_cast<unsigned long long>(requests),
                        static_cast<unsigned long long>(errors));
            std::fflush(stdout);
            next_report += std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(o.report));
        }
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        for (int e = 0; e < n; ++e) {
            const int i = static_cast<int>(events[e].data.u32);
            Connection& c = conns[i];
            if (c.sent < c.out.size()) pump_send(ep, c, i);
            while (c.received < c.in.size()) {
                ssize_t r = recv(c.fd, c.in.data() + c.received, c.in.size() - c.received, 0);
                if (r == 0) {
                    errno = ECONNRESET;
                    die("server closed the connection");
                }
                if (r < 0) {
                    if (errno == EAGAIN) break;
                    die("recv");
                }
                c.received += static_cast<std::size_t>(r);
            }
            if (c.received == c.in.size()) {
                if (std::memcmp(c.in.data(), c.out.data(), c.in.size()) != 0) ++errors;
                const auto now = Clock::now();
                if (now >= measure_from) {
                    ++requests;
                    if (latencies.size() < latencies.capacity())  // (a long soak keeps the first)
                        latencies.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(
                            std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.started)
                                .count(),
                            UINT32_MAX)));
                }
                if (c.seq++ == 0 && ++answered == o.connections) ready = now - connecting;
                start_request(ep, c, i, o.max_size);
            }
        }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - measure_from).count();
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double p) {
        return latencies.empty()
                   ? 0.0
                   : latencies[static_cast<std::size_t>(p * (latencies.size() - 1))] / 1000.0;
    };
    std::printf(
        "loadgen connections=%d size=%zu seconds=%.2f requests=%llu rps=%.0f p50_us=%.1f "
        "p99_us=%.1f errors=%llu ready_ms=%.1f\n",
        o.connections, o.size, seconds, static_cast<unsigned long long>(requests),
        requests / seconds, pct(0.50), pct(0.99), static_cast<unsigned long long>(errors),
        ready ? std::chrono::duration<double, std::milli>(*ready).count() : -1.0);
    for (auto& c : conns)
        close(c.fd);
    return errors == 0 ? 0 : 1;
}
