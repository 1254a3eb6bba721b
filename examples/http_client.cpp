// The talks' HTTP client: fetch many URLs at once, at most --concurrency at a time (a
// Semaphore), and print each one's status, size and time as it completes, then the total.
//   http_client [--concurrency 10] URL...
// (examples/http_client.py is the same program with asyncio and aiohttp.)
#include <aio/aio.hpp>
#include <aio/http.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

struct Fetched {
    std::string url;
    int status = 0;  // 0: it failed
    std::size_t size = 0;
    double seconds = 0;
    std::string error;
};

aio::Task<Fetched> fetch(aio::http::ClientSession& session, aio::Semaphore& limit,
                         std::string url) {
    auto held = co_await limit.scoped();
    const auto start = aio::get_running_loop().time();
    Fetched f;
    f.url = url;
    try {
        auto response = co_await session.get(url);
        f.status = response.status;
        f.size = (co_await response.read()).size();
    } catch (const std::exception& e) {
        f.error = e.what();
    }
    f.seconds = std::chrono::duration<double>(aio::get_running_loop().time() - start).count();
    co_return f;
}

aio::Task<> amain(std::vector<std::string> urls, long concurrency) {
    aio::http::ClientSession session;
    aio::Semaphore limit(concurrency);
    const auto start = aio::get_running_loop().time();
    std::vector<aio::Task<Fetched>> fetches;
    for (const auto& url : urls)
        fetches.push_back(fetch(session, limit, url));
    std::size_t answered = 0, bytes = 0;
    for (auto next : aio::as_completed(std::move(fetches))) {
        Fetched f = co_await next;
        if (f.status) {
            ++answered;
            bytes += f.size;
            std::printf("%3d %9zu bytes %7.3f s  %s\n", f.status, f.size, f.seconds, f.url.c_str());
        } else {
            std::printf("error: %s  %s\n", f.error.c_str(), f.url.c_str());
        }
    }
    const double total =
        std::chrono::duration<double>(aio::get_running_loop().time() - start).count();
    std::printf("%zu URLs, %zu answered, %zu bytes in %.3f s\n", urls.size(), answered, bytes,
                total);
    co_await session.close();
}

int main(int argc, char** argv) {
    std::vector<std::string> urls;
    long concurrency = 10;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--concurrency" && i + 1 < argc) {
            concurrency = std::atol(argv[++i]);
        } else {
            urls.push_back(arg);
        }
    }
    if (urls.empty() || concurrency < 1) {
        std::fprintf(stderr, "usage: http_client [--concurrency N] URL...\n");
        return 2;
    }
    aio::run(amain(urls, concurrency));
}
