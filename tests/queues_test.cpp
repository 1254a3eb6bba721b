// Queue, PriorityQueue, LifoQueue: asyncio's documented behaviour, errors and limits.
#include <memory>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

AIO_TEST(Queue, FifoOrderAndSizes) {
    aio::Queue<int> q;
    EXPECT_TRUE(q.empty());
    EXPECT_FALSE(q.full());  // unbounded
    for (int i = 0; i < 5; ++i)
        co_await q.put(i);
    EXPECT_EQ(q.qsize(), 5u);
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(co_await q.get(), i);
    EXPECT_TRUE(q.empty());
}

AIO_TEST(Queue, NowaitErrors) {
    aio::Queue<int> q(1);
    EXPECT_EQ(q.maxsize(), 1);
    EXPECT_THROW(q.get_nowait(), aio::QueueEmpty);
    q.put_nowait(1);
    EXPECT_TRUE(q.full());
    EXPECT_THROW(q.put_nowait(2), aio::QueueFull);
    EXPECT_EQ(q.get_nowait(), 1);
    co_return;
}

AIO_TEST(Queue, GetWaitsForPut) {
    aio::Queue<std::string> q;
    auto getter = aio::create_task(q.get());
    co_await aio::sleep(1s);
    EXPECT_FALSE(getter.done());
    EXPECT_EQ(q.statistics().getters, 1u);
    co_await q.put("hello");
    EXPECT_EQ(co_await getter, "hello");
}

AIO_TEST(Queue, PutWaitsForRoom) {
    aio::Queue<int> q(2);
    co_await q.put(1);
    co_await q.put(2);
    auto putter = aio::create_task(q.put(3));
    co_await aio::sleep(1s);
    EXPECT_FALSE(putter.done());
    EXPECT_EQ(q.statistics().putters, 1u);
    EXPECT_EQ(co_await q.get(), 1);
    co_await putter;
    EXPECT_EQ(co_await q.get(), 2);
    EXPECT_EQ(co_await q.get(), 3);
}

AIO_TEST(Queue, GettersAreServedInOrder) {
    aio::Queue<int> q;
    std::vector<aio::TaskHandle<int>> getters;
    for (int i = 0; i < 3; ++i)
        getters.push_back(aio::create_task(q.get()));
    co_await aio::sleep(0s);
    for (int i = 0; i < 3; ++i)
        q.put_nowait(i * 10);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(co_await getters[i], i * 10);
}

AIO_TEST(Queue, MoveOnlyItems) {
    aio::Queue<std::unique_ptr<int>> q(1);
    co_await q.put(std::make_unique<int>(5));
    auto p = co_await q.get();
    EXPECT_EQ(*p, 5);
}

AIO_TEST(Queue, TaskDoneAndJoin) {
    aio::Queue<int> q;
    for (int i = 0; i < 3; ++i)
        q.put_nowait(i);
    auto worker = [](aio::Queue<int>& q) -> aio::Task<> {
        while (!q.empty()) {
            co_await q.get();
            co_await aio::sleep(1s);
            q.task_done();
        }
    };
    auto w = aio::create_task(worker(q));
    auto& loop = aio::get_running_loop();
    const auto start = loop.time();
    co_await q.join();
    EXPECT_EQ(loop.time() - start, 3s);
    EXPECT_THROW(q.task_done(), std::invalid_argument);
    co_await w;
}

AIO_TEST(Queue, WokenGetterCancelledPassesTheItemOn) {
    aio::Queue<int> q;
    auto a = aio::create_task(q.get());
    auto b = aio::create_task(q.get());
    co_await aio::sleep(0s);
    q.put_nowait(7);  // wakes a...
    a.cancel();       // ...cancelled before it runs: the item must reach b
    EXPECT_THROW(co_await a, aio::CancelledError);
    EXPECT_EQ(co_await b, 7);
    EXPECT_EQ(q.statistics().getters, 0u);
}

AIO_TEST(Queue, WokenPutterCancelledPassesTheSlotOn) {
    aio::Queue<int> q(1);
    q.put_nowait(0);
    auto a = aio::create_task(q.put(1));
    auto b = aio::create_task(q.put(2));
    co_await aio::sleep(0s);
    EXPECT_EQ(q.get_nowait(), 0);  // a slot opens and a is woken...
    a.cancel();                    // ...cancelled before it runs: b must get the slot
    EXPECT_THROW(co_await a, aio::CancelledError);
    co_await b;
    EXPECT_EQ(q.get_nowait(), 2);
}

AIO_TEST(Queue, ShutdownWakesEveryoneAndRefusesPuts) {
    aio::Queue<int> q(1);
    auto getter = aio::create_task(q.get());
    co_await aio::sleep(0s);
    q.shutdown();
    EXPECT_THROW(co_await getter, aio::QueueShutDown);
    EXPECT_THROW(q.put_nowait(1), aio::QueueShutDown);
    EXPECT_THROW(co_await q.put(1), aio::QueueShutDown);
    EXPECT_THROW(q.get_nowait(), aio::QueueShutDown);
}

AIO_TEST(Queue, ShutdownLetsTheRestBeDrained) {
    aio::Queue<int> q;
    q.put_nowait(1);
    q.put_nowait(2);
    q.shutdown();
    EXPECT_EQ(co_await q.get(), 1);
    EXPECT_EQ(q.get_nowait(), 2);
    EXPECT_THROW(co_await q.get(), aio::QueueShutDown);
}

AIO_TEST(Queue, ImmediateShutdownDropsItemsAndReleasesJoin) {
    aio::Queue<int> q(2);
    q.put_nowait(1);
    q.put_nowait(2);
    auto putter = aio::create_task(q.put(3));
    auto joiner = aio::create_task(q.join());
    co_await aio::sleep(0s);
    q.shutdown(true);
    EXPECT_TRUE(q.empty());
    EXPECT_THROW(co_await putter, aio::QueueShutDown);
    co_await joiner;
}

AIO_TEST(PriorityQueue, SmallestFirst) {
    aio::PriorityQueue<int> q;
    for (int v : {5, 1, 4, 2, 3})
        q.put_nowait(v);
    std::vector<int> out;
    while (!q.empty())
        out.push_back(co_await q.get());
    EXPECT_EQ(out, (std::vector<int>{1, 2, 3, 4, 5}));
    aio::PriorityQueue<std::pair<int, std::string>> tasks;
    tasks.put_nowait({2, "write"});
    tasks.put_nowait({1, "read"});
    EXPECT_EQ(tasks.get_nowait().second, "read");
}

AIO_TEST(PriorityQueue, CustomCompare) {
    aio::PriorityQueue<int, std::greater<int>> q;  // largest first
    for (int v : {5, 1, 4})
        q.put_nowait(v);
    EXPECT_EQ(co_await q.get(), 5);
}

AIO_TEST(LifoQueue, LastInFirstOut) {
    aio::LifoQueue<int> q;
    for (int v : {1, 2, 3})
        q.put_nowait(v);
    EXPECT_EQ(co_await q.get(), 3);
    EXPECT_EQ(co_await q.get(), 2);
    EXPECT_EQ(co_await q.get(), 1);
}

}  // namespace
