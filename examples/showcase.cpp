// The showcase (`make demo`): a short tour of aio's core in real time — chained coroutines,
// concurrent sleeps, gather over many tasks, timeouts, a TaskGroup whose failing child cancels
// its siblings, and what a task and a queue round trip cost. (The network showcase takes over
// when I/O lands.)
#include <aio/aio.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

double seconds_since(aio::TimePoint start) {
    return std::chrono::duration<double>(aio::get_running_loop().time() - start).count();
}

aio::Task<int> twice(int x) {
    co_return x * 2;
}
aio::Task<int> compute(int x, int y) {
    co_return co_await twice(x) + y;
}

aio::Task<int> sleepy(int tenths) {
    co_await aio::sleep(std::chrono::milliseconds(100 * tenths));
    co_return tenths;
}

aio::Task<> fail_soon() {
    co_await aio::sleep(50ms);
    throw std::runtime_error("the sensor is unplugged");
}

aio::Task<> pong(aio::Queue<long>& in, aio::Queue<long>& out, long n) {
    for (long i = 0; i < n; ++i)
        co_await out.put(co_await in.get() + 1);
}

aio::Task<int> trivial(int i) {
    co_return i;
}

aio::Task<> tour() {
    auto& loop = aio::get_running_loop();

    std::printf("1. Chained coroutines: compute(2, 3) = %d\n", co_await compute(2, 3));

    auto start = loop.time();
    auto [a, b, c] = co_await aio::gather(sleepy(3), sleepy(1), sleepy(2));
    std::printf("2. Three sleeps of 0.%d, 0.%d and 0.%d s, gathered: done in %.2f s\n", a, b, c,
                seconds_since(start));

    start = loop.time();
    std::vector<aio::Task<int>> many;
    for (int i = 0; i < 10'000; ++i)
        many.push_back(sleepy(2));
    auto results = co_await aio::gather(std::move(many));
    std::printf("3. %zu tasks sleeping 0.2 s at once: done in %.2f s\n", results.size(),
                seconds_since(start));

    start = loop.time();
    try {
        co_await aio::wait_for(sleepy(36000), 100ms);
    } catch (const aio::TimeoutError&) {
        std::printf("4. wait_for(an hour's sleep, 100 ms): TimeoutError after %.2f s\n",
                    seconds_since(start));
    }

    aio::TaskGroup tg;
    aio::TaskHandle<int> sibling;
    try {
        co_await tg.run([&]() -> aio::Task<> {
            sibling = tg.create_task(sleepy(36000));
            tg.create_task(fail_soon());
            co_return;
        }());
    } catch (const aio::ExceptionGroup& eg) {
        std::string errors;
        for (const auto& e : eg.exceptions())
            errors += aio::describe(e);
        std::printf("5. TaskGroup: %zu error (%s); the sibling was cancelled: %s\n",
                    eg.exceptions().size(), errors.c_str(), sibling.cancelled() ? "yes" : "no");
    }

    constexpr int n = 1'000'000;
    const auto t0 = std::chrono::steady_clock::now();
    long sum = 0;
    for (int i = 0; i < n; ++i)
        sum += co_await aio::create_task(trivial(1));
    const auto ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    std::printf("6. %d tasks created and awaited one by one: %.0f ns per task (sum %ld)\n", n,
                ns / n, sum);

    aio::Queue<long> there(1), back(1);
    auto other = aio::create_task(pong(there, back, n));
    const auto t1 = std::chrono::steady_clock::now();
    long value = 0;
    for (int i = 0; i < n; ++i) {
        co_await there.put(value);
        value = co_await back.get();
    }
    const auto rt =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t1).count();
    co_await other;
    std::printf("7. %ld round trips between two tasks over two Queue(1)s: %.0f ns each\n", value,
                rt / n);
}

}  // namespace

aio::Task<> banner() {
    std::printf("aio showcase (backend: %s)\n", aio::get_running_loop().backend_name());
    co_return;
}

int main() {
    aio::run(banner());
    aio::run(tour());
}
