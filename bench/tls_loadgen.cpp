// The TLS load generator of bench/tls_compare: its own process, one thread, plain epoll and
// OpenSSL (so it measures servers without depending on aio). Every client offers only TLS 1.3
// with TLS_AES_128_GCM_SHA256 and X25519, so every server negotiates the same; it does not
// verify the certificate (the servers are the ones measured) and never resumes a session.
//   echo:       each connection keeps one request in flight: it sends `size` bytes, reads the
//               echo, checks every byte, and records the round trip.
//   handshakes: each connection slot connects, completes a full handshake, sends `size` bytes,
//               reads them back, sends close_notify, closes, and starts over; a request is one
//               such connection.
//
//   tls_loadgen --port P [--mode echo|handshakes] [--host 127.0.0.1] [--connections 100]
//               [--size 1024] [--duration 5] [--warmup 1] [--cpu K]
// prints: tls_loadgen mode=.. connections=.. size=.. seconds=.. requests=.. rps=.. p50_us=..
//         p99_us=.. errors=0
// and exits 1 if a byte came back wrong or a connection failed. Loopback addresses only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
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
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string host = "127.0.0.1";
    std::string mode = "echo";
    int port = 0;
    int connections = 100;
    std::size_t size = 1024;
    double duration = 5;
    double warmup = 1;
    int cpu = -1;
};

enum class Phase { connecting, handshaking, writing, reading };

struct Connection {
    int fd = -1;
    SSL* ssl = nullptr;
    Phase phase = Phase::connecting;
    std::uint32_t interest = 0;  // the epoll events asked for
    std::uint64_t seq = 0;       // request number, part of the byte pattern
    std::size_t received = 0;
    Clock::time_point started;
    std::vector<unsigned char> out, in;
};

unsigned char pattern(int conn, std::uint64_t seq, std::size_t i) {
    return static_cast<unsigned char>(conn * 31 + seq * 7 + i);
}

[[noreturn]] void die(const char* what) {
    const unsigned long tls = ERR_get_error();
    if (tls != 0) {
        char reason[256];
        ERR_error_string_n(tls, reason, sizeof reason);
        std::fprintf(stderr, "tls_loadgen: %s: %s\n", what, reason);
    } else {
        std::fprintf(stderr, "tls_loadgen: %s: %s\n", what, std::strerror(errno));
    }
    std::exit(1);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--host")
            o.host = v;
        else if (k == "--mode")
            o.mode = v;
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
        else {
            std::fprintf(stderr, "tls_loadgen: unknown option %s\n", k.c_str());
            std::exit(2);
        }
    }
    in_addr a{};
    if (o.port <= 0 || o.connections <= 0 || o.size == 0 ||
        (o.mode != "echo" && o.mode != "handshakes") ||
        inet_pton(AF_INET, o.host.c_str(), &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
        std::fprintf(stderr,
                     "tls_loadgen: need --port, --mode echo|handshakes and a 127.0.0.0/8 --host "
                     "(loopback only)\n");
        std::exit(2);
    }
    return o;
}

class Generator {
  public:
    explicit Generator(const Options& o) : o_(o), conns_(o.connections) {
        addr_.sin_family = AF_INET;
        addr_.sin_port = htons(static_cast<std::uint16_t>(o.port));
        inet_pton(AF_INET, o.host.c_str(), &addr_.sin_addr);
        ctx_ = SSL_CTX_new(TLS_client_method());
        if (!ctx_ || !SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION) ||
            !SSL_CTX_set_ciphersuites(ctx_, "TLS_AES_128_GCM_SHA256") ||
            !SSL_CTX_set1_groups_list(ctx_, "X25519"))
            die("SSL_CTX");
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
        SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_read_ahead(ctx_, 1);  // one read takes every record that has arrived
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        latencies_.reserve(1 << 22);
    }

    int run() {
        for (int i = 0; i < o_.connections; ++i)
            if (open(i)) advance(i);
        const auto begin = Clock::now();
        measure_from_ = begin + seconds(o_.warmup);
        const auto end = measure_from_ + seconds(o_.duration);
        std::vector<epoll_event> events(1024);
        while (Clock::now() < end) {
            const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 100);
            if (n < 0 && errno != EINTR) die("epoll_wait");
            for (int e = 0; e < n; ++e)
                advance(static_cast<int>(events[e].data.u32));
        }
        const double secs = std::chrono::duration<double>(Clock::now() - measure_from_).count();
        std::sort(latencies_.begin(), latencies_.end());
        auto pct = [&](double p) {
            return latencies_.empty()
                       ? 0.0
                       : latencies_[static_cast<std::size_t>(p * (latencies_.size() - 1))] / 1000.0;
        };
        std::printf(
            "tls_loadgen mode=%s connections=%d size=%zu seconds=%.2f requests=%llu rps=%.0f "
            "p50_us=%.1f p99_us=%.1f errors=%llu\n",
            o_.mode.c_str(), o_.connections, o_.size, secs,
            static_cast<unsigned long long>(requests_), requests_ / secs, pct(0.50), pct(0.99),
            static_cast<unsigned long long>(errors_));
        for (auto& c : conns_) {
            SSL_free(c.ssl);
            close(c.fd);
        }
        SSL_CTX_free(ctx_);
        return errors_ == 0 ? 0 : 1;
    }

  private:
    static Clock::duration seconds(double s) {
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    }

    // A new connection in slot i: a non-blocking connect, so that a full accept queue stalls
    // only this slot. True if it is connected already.
    bool open(int i) {
        Connection& c = conns_[i];
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0) die("socket");
        int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c.ssl = SSL_new(ctx_);
        if (!c.ssl || !SSL_set_fd(c.ssl, c.fd)) die("SSL_new");
        SSL_set_connect_state(c.ssl);
        c.out.resize(o_.size);
        c.in.resize(o_.size);
        c.interest = EPOLLOUT;
        c.started = Clock::now();
        epoll_event ev{};
        ev.events = c.interest;
        ev.data.u32 = static_cast<std::uint32_t>(i);
        epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
        if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr_), sizeof addr_) == 0) {
            c.phase = Phase::handshaking;
            return true;
        }
        if (errno != EINPROGRESS) die("connect");
        c.phase = Phase::connecting;
        return false;
    }

    void want(Connection& c, int i, std::uint32_t events) {
        if (c.interest == events) return;
        c.interest = events;
        epoll_event ev{};
        ev.events = events;
        ev.data.u32 = static_cast<std::uint32_t>(i);
        epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    }

    // After an SSL call returned r <= 0: waits for what OpenSSL asked for, or gives up.
    void blocked(Connection& c, int i, int r, const char* what) {
        switch (SSL_get_error(c.ssl, r)) {
            case SSL_ERROR_WANT_READ:
                return want(c, i, EPOLLIN);
            case SSL_ERROR_WANT_WRITE:
                return want(c, i, EPOLLOUT);
            case SSL_ERROR_ZERO_RETURN:
                errno = ECONNRESET;
                die("the server closed the connection");
            default:
                die(what);
        }
    }

    void start_request(Connection& c, int i) {
        for (std::size_t k = 0; k < c.out.size(); ++k)
            c.out[k] = pattern(i, c.seq, k);
        c.received = 0;
        c.phase = Phase::writing;
        if (o_.mode == "echo") c.started = Clock::now();
    }

    // False when the slot waits for a new connection to be made.
    bool finish_request(Connection& c, int i) {
        if (std::memcmp(c.in.data(), c.out.data(), c.in.size()) != 0) ++errors_;
        const auto now = Clock::now();
        if (now >= measure_from_) {
            ++requests_;
            latencies_.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.started).count(),
                UINT32_MAX)));
        }
        ++c.seq;
        if (o_.mode == "echo") {
            start_request(c, i);
            return true;
        }
        SSL_shutdown(c.ssl);  // close_notify; the server's answer is not waited for
        SSL_free(c.ssl);
        epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
        close(c.fd);
        c.ssl = nullptr;
        c.fd = -1;
        return open(i);
    }

    // Moves connection i on as far as its socket allows.
    void advance(int i) {
        Connection& c = conns_[i];
        for (;;) {
            switch (c.phase) {
                case Phase::connecting: {
                    int err = 0;
                    socklen_t len = sizeof err;
                    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                    if (err != 0) {
                        errno = err;
                        die("connect");
                    }
                    c.phase = Phase::handshaking;
                    break;
                }
                case Phase::handshaking: {
                    const int r = SSL_do_handshake(c.ssl);
                    if (r != 1) return blocked(c, i, r, "handshake");
                    start_request(c, i);
                    break;
                }
                case Phase::writing: {
                    const int r = SSL_write(c.ssl, c.out.data(), static_cast<int>(c.out.size()));
                    if (r <= 0) return blocked(c, i, r, "SSL_write");
                    c.phase = Phase::reading;
                    break;
                }
                case Phase::reading: {
                    const int r = SSL_read(c.ssl, c.in.data() + c.received,
                                           static_cast<int>(c.in.size() - c.received));
                    if (r <= 0) return blocked(c, i, r, "SSL_read");
                    c.received += static_cast<std::size_t>(r);
                    if (c.received == c.in.size() && !finish_request(c, i)) return;
                    break;
                }
            }
        }
    }

    Options o_;
    std::vector<Connection> conns_;
    sockaddr_in addr_{};
    SSL_CTX* ctx_ = nullptr;
    int ep_ = -1;
    Clock::time_point measure_from_;
    std::vector<std::uint32_t> latencies_;  // ns, measured window only
    std::uint64_t requests_ = 0, errors_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    if (o.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(o.cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    return Generator(o).run();
}
