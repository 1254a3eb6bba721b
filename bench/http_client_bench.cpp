// aio's HTTP client under load (bench/http_client_compare): CONCURRENCY tasks sharing one
// ClientSession, each GETting URL and reading the body, until REQUESTS responses have come.
// Prints "requests=N seconds=S rps=R cpu_us_per_req=C errors=E".
//   http_client_bench URL [REQUESTS] [CONCURRENCY]
#include <sys/resource.h>
#include <aio/aio.hpp>
#include <aio/http.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

struct Counts {
    long left;
    long errors = 0;
};

aio::Task<> worker(aio::http::ClientSession& session, std::string url, Counts& counts) {
    while (counts.left > 0) {
        --counts.left;
        try {
            auto response = co_await session.get(url);
            co_await response.read();
            if (response.status != 200) ++counts.errors;
        } catch (const std::exception&) {
            ++counts.errors;
        }
    }
}

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

aio::Task<> amain(std::string url, long requests, int concurrency) {
    aio::http::ClientOptions options;
    options.limit = static_cast<std::size_t>(concurrency);
    aio::http::ClientSession session(options);
    Counts counts{requests};
    const auto start = std::chrono::steady_clock::now();
    const double cpu0 = cpu_seconds();
    std::vector<aio::Task<>> workers;
    for (int i = 0; i < concurrency; ++i)
        workers.push_back(worker(session, url, counts));
    co_await aio::gather(std::move(workers));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("requests=%ld seconds=%.3f rps=%.0f cpu_us_per_req=%.2f errors=%ld\n", requests,
                seconds, static_cast<double>(requests) / seconds,
                (cpu_seconds() - cpu0) * 1e6 / static_cast<double>(requests), counts.errors);
    co_await session.close();
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: http_client_bench URL [REQUESTS] [CONCURRENCY]\n");
        return 2;
    }
    aio::run(
        amain(argv[1], argc > 2 ? std::atol(argv[2]) : 100000, argc > 3 ? std::atoi(argv[3]) : 64));
}
