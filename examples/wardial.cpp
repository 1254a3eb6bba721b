// wardial, the talks' homework: which TCP ports are open on these hosts? Tries every host and
// port, at most --concurrency connections at a time (a Semaphore), each given --timeout seconds
// (wait_for); shows a live progress line on a terminal, then prints what is open, sorted, one
// "HOST:PORT open" per line (with --banner, the first line the service sends after it), and a
// summary on stderr. Only loopback targets (127.0.0.0/8, ::1) unless --allow-remote.
// examples/wardial.py is the same program in Python's asyncio.
//   wardial HOSTS --ports RANGES [--concurrency 500] [--timeout 1] [--banner] [--allow-remote]
//   HOSTS: 127.0.0.1, 127.0.0.0/29, ::1, or a comma-separated list of them
//   RANGES: 22, 1-1024, or a comma-separated list: 1-1024,8080
#include <aio/aio.hpp>

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Target {
    std::string host;
    std::uint16_t port;
};

struct Found {
    std::string key;  // sorts by address and port, as the host's text would not
    std::string host;
    std::uint16_t port;
    std::string banner;
};

struct Options {
    std::vector<std::string> hosts;
    std::vector<std::pair<int, int>> ports;
    long concurrency = 500;
    double timeout = 1.0;
    bool banner = false;
};

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t end; (end = text.find(sep, start)) != std::string::npos; start = end + 1)
        parts.push_back(text.substr(start, end - start));
    parts.push_back(text.substr(start));
    return parts;
}

int to_int(const std::string& text, const std::string& what) {
    std::size_t used = 0;
    int value = -1;
    try {
        value = std::stoi(text, &used);
    } catch (const std::exception&) {
    }
    if (text.empty() || used != text.size())
        throw std::invalid_argument("bad " + what + ": " + text);
    return value;
}

// "1-1024,8080" -> {1, 1024}, {8080, 8080}
std::vector<std::pair<int, int>> parse_ports(const std::string& text) {
    std::vector<std::pair<int, int>> ranges;
    for (const std::string& part : split(text, ',')) {
        const auto dash = part.find('-');
        const int lo = to_int(part.substr(0, dash), "port");
        const int hi = dash == std::string::npos ? lo : to_int(part.substr(dash + 1), "port");
        if (lo < 1 || hi > 65535 || lo > hi) throw std::invalid_argument("bad port range: " + part);
        ranges.emplace_back(lo, hi);
    }
    return ranges;
}

// "127.0.0.0/29,::1" -> each address; std::invalid_argument for what is not an IP address
// (or a network of IPv4 addresses), or is not loopback unless remote targets are allowed.
std::vector<std::string> parse_hosts(const std::string& text, bool allow_remote) {
    std::vector<std::string> hosts;
    for (const std::string& part : split(text, ',')) {
        const auto slash = part.find('/');
        const std::string address = part.substr(0, slash);
        in_addr v4{};
        in6_addr v6{};
        if (inet_pton(AF_INET6, address.c_str(), &v6) == 1 && slash == std::string::npos) {
            if (!allow_remote && !IN6_IS_ADDR_LOOPBACK(&v6))
                throw std::invalid_argument(part +
                                            " is not loopback (::1); --allow-remote to scan it");
            hosts.push_back(address);
            continue;
        }
        if (inet_pton(AF_INET, address.c_str(), &v4) != 1)
            throw std::invalid_argument("not an IP address or IPv4 network: " + part);
        const int bits = slash == std::string::npos ? 32 : to_int(part.substr(slash + 1), "prefix");
        if (bits < 16 || bits > 32)
            throw std::invalid_argument("networks from /16 to /32 only: " + part);
        const std::uint32_t mask = bits == 32 ? ~0u : ~((1u << (32 - bits)) - 1);
        const std::uint32_t first = ntohl(v4.s_addr) & mask, count = ~mask + 1u;
        if (!allow_remote && (first >> 24) != 127)
            throw std::invalid_argument(
                part + " is not loopback (127.0.0.0/8); --allow-remote to scan it");
        for (std::uint32_t i = 0; i < count; ++i) {
            in_addr one{htonl(first + i)};
            char name[INET_ADDRSTRLEN];
            hosts.push_back(inet_ntop(AF_INET, &one, name, sizeof name));
        }
    }
    return hosts;
}

// IPv4 before IPv6, then the address's bytes, then the port's.
std::string sort_key(const std::string& host, std::uint16_t port) {
    unsigned char bytes[16] = {};
    const bool v6 = inet_pton(AF_INET6, host.c_str(), bytes) == 1;
    if (!v6) inet_pton(AF_INET, host.c_str(), bytes);
    std::string key(1, v6 ? '6' : '4');
    key.append(reinterpret_cast<const char*>(bytes), v6 ? 16 : 4);
    key += static_cast<char>(port >> 8);
    key += static_cast<char>(port & 0xff);
    return key;
}

class Scan {
  public:
    explicit Scan(const Options& options)
        : options_(options),
          slots_(options.concurrency),
          timeout_(std::chrono::duration_cast<aio::Duration>(
              std::chrono::duration<double>(options.timeout))) {}

    aio::Task<> run() {
        for (const auto& [lo, hi] : options_.ports)
            total_ += static_cast<std::size_t>(hi - lo + 1) * options_.hosts.size();
        start_ = aio::get_running_loop().time();
        auto progress = aio::create_task(show_progress());
        for (const auto& host : options_.hosts)
            for (const auto& [lo, hi] : options_.ports)
                for (int port = lo; port <= hi; ++port) {
                    co_await slots_.acquire();  // released by the probe
                    aio::create_task(probe(Target{host, static_cast<std::uint16_t>(port)}));
                }
        for (long i = 0; i < options_.concurrency; ++i)  // every probe has ended
            co_await slots_.acquire();
        progress.cancel();
        try {
            co_await progress;
        } catch (const aio::CancelledError&) {
        }
        report();
    }

  private:
    aio::Task<> probe(Target target) {
        aio::Semaphore::Guard slot(slots_);
        try {
            auto connecting = aio::open_connection(target.host, target.port);
            auto [reader, writer] = co_await aio::wait_for(std::move(connecting), timeout_);
            const auto local = writer.get_extra_info("sockname");
            const auto peer = writer.get_extra_info("peername");
            if (local && peer && local->to_string() == peer->to_string()) {
                // TCP's simultaneous open: connecting to a free port of this host's ephemeral
                // range can meet itself. Nothing listens there.
                writer.close();
                ++tried_;
                co_return;
            }
            Found found{sort_key(target.host, target.port), target.host, target.port, {}};
            if (options_.banner) found.banner = co_await read_banner(reader);
            writer.close();
            open_.push_back(std::move(found));
        } catch (const aio::TimeoutError&) {  // filtered, or too slow
        } catch (const std::system_error&) {  // refused, unreachable, reset
        }
        ++tried_;
    }

    // The first line the service sends (within the timeout), or "".
    aio::Task<std::string> read_banner(aio::StreamReader& reader) {
        std::string line;
        try {
            line = co_await aio::wait_for(reader.readline(), timeout_);
        } catch (const aio::TimeoutError&) {
        } catch (const std::system_error&) {
        } catch (const std::invalid_argument&) {  // a first line over the reader's limit
        }
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.pop_back();
        co_return line;
    }

    double elapsed() const {
        return std::chrono::duration<double>(aio::get_running_loop().time() - start_).count();
    }

    // On a terminal, a line redrawn ten times a second.
    aio::Task<> show_progress() {
        if (!::isatty(STDERR_FILENO)) co_return;
        while (true) {
            co_await aio::sleep(std::chrono::milliseconds(100));
            std::fprintf(stderr, "\rtried %zu/%zu, %zu open, %.0f/s ", tried_, total_, open_.size(),
                         tried_ / std::max(elapsed(), 1e-9));
        }
    }

    void report() {
        if (::isatty(STDERR_FILENO)) std::fputs("\r\033[K", stderr);
        std::sort(open_.begin(), open_.end(),
                  [](const Found& a, const Found& b) { return a.key < b.key; });
        for (const Found& f : open_) {
            const bool v6 = f.host.find(':') != std::string::npos;
            std::printf(v6 ? "[%s]:%u open" : "%s:%u open", f.host.c_str(), f.port);
            if (!f.banner.empty()) std::printf("  %s", f.banner.c_str());
            std::putchar('\n');
        }
        std::fflush(stdout);
        std::fprintf(stderr, "%zu ports tried in %.2f s (%.0f/s), %zu open\n", tried_, elapsed(),
                     tried_ / std::max(elapsed(), 1e-9), open_.size());
    }

    const Options& options_;
    aio::Semaphore slots_;
    aio::Duration timeout_;
    aio::TimePoint start_{};
    std::size_t total_ = 0, tried_ = 0;
    std::vector<Found> open_;
};

aio::Task<> amain(Options options) {
    Scan scan(options);
    co_await scan.run();
}

constexpr const char* kUsage =
    "usage: wardial HOSTS --ports RANGES [--concurrency N] [--timeout S] [--banner] "
    "[--allow-remote]\n";

}  // namespace

int main(int argc, char** argv) {
    Options options;
    std::string hosts, ports;
    bool allow_remote = false;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            const bool has_value = i + 1 < argc;
            if (arg == "--ports" && has_value)
                ports = argv[++i];
            else if (arg == "--concurrency" && has_value)
                options.concurrency = to_int(argv[++i], "concurrency");
            else if (arg == "--timeout" && has_value)
                options.timeout = std::stod(argv[++i]);
            else if (arg == "--banner")
                options.banner = true;
            else if (arg == "--allow-remote")
                allow_remote = true;
            else if (hosts.empty() && arg[0] != '-')
                hosts = arg;
            else
                throw std::invalid_argument("unexpected argument: " + arg);
        }
        if (hosts.empty() || ports.empty())
            throw std::invalid_argument("HOSTS and --ports are needed");
        if (options.concurrency < 1 || options.concurrency > 10000)
            throw std::invalid_argument("--concurrency from 1 to 10000");
        if (!(options.timeout > 0)) throw std::invalid_argument("--timeout must be positive");
        options.hosts = parse_hosts(hosts, allow_remote);
        options.ports = parse_ports(ports);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wardial: %s\n%s", e.what(), kUsage);
        return 2;
    }
    aio::run(amain(std::move(options)));
}
