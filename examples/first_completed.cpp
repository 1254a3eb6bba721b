// Waiting with FIRST_COMPLETED: handle each result as soon as it is ready, then wait for the
// rest. Prints 1, 2, 3 — the order the sleeps end, not the order they started.
#include <aio/aio.hpp>

#include <cstdio>
#include <vector>

aio::Task<int> sleepy(int t) {
    co_await aio::sleep(std::chrono::seconds(t));
    co_return t;
}

aio::Task<> amain() {
    std::vector<aio::TaskHandle<int>> pending;
    for (int t : {3, 1, 2})
        pending.push_back(aio::create_task(sleepy(t)));
    while (!pending.empty()) {
        auto [done, rest] = co_await aio::wait(std::move(pending), aio::FIRST_COMPLETED);
        for (auto& f : done)
            std::printf("%d\n", co_await f);
        pending = std::move(rest);
    }
}

int main() {
    aio::run(amain());
}
