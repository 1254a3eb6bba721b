// wardial with a thread pool (the "threads" row of the talks' table): THREADS threads take the
// next port from a shared counter and try it with a blocking connect() (SO_SNDTIMEO as the
// timeout). Prints "HOST:PORT open" for each, sorted, and a summary on stderr.
//   wardial_threads HOST LO-HI [THREADS] [TIMEOUT_S]       (IPv4 only)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fputs("usage: wardial_threads HOST LO-HI [THREADS] [TIMEOUT_S]\n", stderr);
        return 2;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1) return 2;
    int lo = 0, hi = 0;
    if (std::sscanf(argv[2], "%d-%d", &lo, &hi) != 2 || lo < 1 || hi > 65535 || lo > hi) return 2;
    const int threads = argc > 3 ? std::atoi(argv[3]) : 500;
    const double timeout = argc > 4 ? std::atof(argv[4]) : 1.0;
    timeval tv{static_cast<time_t>(timeout),
               static_cast<suseconds_t>((timeout - static_cast<long>(timeout)) * 1e6)};

    std::atomic<int> next{lo};
    std::mutex found_mutex;
    std::vector<int> found;
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (int port; (port = next.fetch_add(1)) <= hi;) {
                const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0) continue;
                ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
                sockaddr_in to = address;
                to.sin_port = htons(static_cast<std::uint16_t>(port));
                sockaddr_in local{};
                socklen_t size = sizeof local;
                // (A connection to itself, TCP's simultaneous open, is not a listener.)
                if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) == 0 &&
                    local.sin_port != to.sin_port) {
                    std::lock_guard lock(found_mutex);
                    found.push_back(port);
                }
                ::close(fd);
            }
        });
    for (auto& t : pool)
        t.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::sort(found.begin(), found.end());
    for (int port : found)
        std::printf("%s:%d open\n", argv[1], port);
    std::fprintf(stderr, "%d ports tried in %.2f s (%.0f/s), %zu open\n", hi - lo + 1, seconds,
                 (hi - lo + 1) / seconds, found.size());
}
