// The tour from the README: gather, a named task cut short by wait_for, and a TaskGroup.
#include <aio/aio.hpp>
#include <cstdio>
using namespace std::chrono_literals;

aio::Task<int> sleepy(int t) {  // async def sleepy(t):
    std::printf("sleeping %d\n", t);
    co_await aio::sleep(std::chrono::seconds(t));  //     await asyncio.sleep(t)
    std::printf("awake %d\n", t);
    co_return t;
}

aio::Task<> amain() {
    // Run concurrently; results in argument order (asyncio.gather).
    auto [a, b, c] = co_await aio::gather(sleepy(3), sleepy(1), sleepy(2));
    std::printf("%d %d %d\n", a, b, c);  // 3 1 2

    // A task runs on its own; its handle awaits, cancels, names it (asyncio.create_task).
    aio::TaskHandle<int> t = aio::create_task(sleepy(10), "slow");
    try {
        co_await aio::wait_for(t, 2s);  // asyncio.wait_for: cancels t on timeout
    } catch (const aio::TimeoutError&) {
        std::printf("%s cancelled: %d\n", t.get_name().c_str(), t.cancelled());
    }

    // Structured concurrency (asyncio.TaskGroup): the first failure cancels the rest.
    aio::TaskGroup tg;
    co_await tg.run([&]() -> aio::Task<> {
        tg.create_task(sleepy(1));
        tg.create_task(sleepy(2));
        co_return;
    }());
}

int main() {
    aio::run(amain());
}  // asyncio.run(amain())
