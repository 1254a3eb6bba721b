// Three sleepy tasks run concurrently and waited for with aio::wait: they fall asleep in the
// order they were created and wake in the order their sleeps end, 1, 2, 3 — three seconds in
// all, not six.
#include <aio/aio.hpp>

#include <cstdio>
#include <vector>

using namespace std::chrono_literals;

aio::Task<int> sleepy(int t) {
    std::printf("sleeping %d\n", t);
    co_await aio::sleep(std::chrono::seconds(t));
    std::printf("awake %d\n", t);
    co_return t;
}

aio::Task<> amain() {
    std::vector<aio::TaskHandle<int>> tasks;
    for (int t : {3, 1, 2})
        tasks.push_back(aio::create_task(sleepy(t)));
    auto [done, pending] = co_await aio::wait(tasks);
    for (auto& f : done)
        std::printf("%d\n", co_await f);
}

int main() {
    aio::run(amain());
}
