// gather, wait and as_completed, with asyncio's semantics.
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

using aio_test::after;
using aio_test::fail_after;
using aio_test::Failure;

// Built outside the coroutines: g++ 12 miscompiles initializer lists inside a coroutine body.
std::vector<aio::TaskHandle<int>> start_all(std::vector<aio::Task<int>> tasks) {
    std::vector<aio::TaskHandle<int>> out;
    for (auto& t : tasks)
        out.push_back(aio::create_task(std::move(t)));
    return out;
}
template <class... T>
std::vector<aio::Task<int>> tasks_of(T... t) {
    std::vector<aio::Task<int>> out;
    (out.push_back(std::move(t)), ...);
    return out;
}

AIO_TEST(Gather, VariadicKeepsArgumentOrder) {
    auto [a, b, c] = co_await aio::gather(after(3s, 1), after(1s, 2), after(2s, 3));
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 2);
    EXPECT_EQ(c, 3);
}

aio::Task<int> logged(std::vector<int>* log, int value) {
    log->push_back(value);
    co_await aio::sleep(std::chrono::seconds(value));
    co_return value;
}

AIO_TEST(Gather, StartsTheChildrenLeftToRight) {
    std::vector<int> log;
    auto [a, b, c] = co_await aio::gather(logged(&log, 3), logged(&log, 1), logged(&log, 2));
    EXPECT_EQ(log, (std::vector<int>{3, 1, 2}));
    EXPECT_EQ(a + b + c, 6);
    log.clear();
    auto outcomes = co_await aio::gather(aio::return_exceptions, logged(&log, 2), logged(&log, 1));
    EXPECT_EQ(log, (std::vector<int>{2, 1}));
    EXPECT_EQ(std::get<0>(outcomes).value(), 2);
}

AIO_TEST(Gather, MixedTypesAndVoid) {
    auto text = []() -> aio::Task<std::string> { co_return "x"; };
    auto nothing = []() -> aio::Task<> { co_return; };
    auto handle = aio::create_task(after(1s, 5));
    auto [s, v, n] = co_await aio::gather(text(), nothing(), handle);
    EXPECT_EQ(s, "x");
    EXPECT_EQ(v, std::monostate{});
    EXPECT_EQ(n, 5);
}

AIO_TEST(Gather, OverARange) {
    std::vector<aio::Task<int>> tasks;
    for (int i = 0; i < 100; ++i)
        tasks.push_back(after(std::chrono::milliseconds(100 - i), i));
    auto results = co_await aio::gather(std::move(tasks));
    AIO_ASSERT_EQ(results.size(), 100u);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(results[i], i);
    auto empty = co_await aio::gather(std::vector<aio::Task<int>>{});
    EXPECT_TRUE(empty.empty());
}

AIO_TEST(Gather, FirstErrorIsRaisedAndSiblingsKeepRunning) {
    auto slow = aio::create_task(after(10s, 1));
    auto g = aio::gather(fail_after(1s, "first"), fail_after(2s, "second"), slow);
    EXPECT_THROW(co_await g, std::runtime_error);
    EXPECT_FALSE(slow.done());
    EXPECT_EQ(co_await slow, 1);  // not cancelled by the failure
    co_await aio::sleep(5s);      // the second failure is absorbed by the gather, not reported
}

AIO_TEST(Gather, ReturnExceptionsCollectsEverything) {
    auto canceled = aio::create_task(after(1h, 0));
    canceled.cancel();
    auto [ok, bad, cancelled] =
        co_await aio::gather(aio::return_exceptions, after(1s, 1), fail_after(2s, "bad"), canceled);
    EXPECT_TRUE(ok.has_value());
    EXPECT_EQ(ok.value(), 1);
    EXPECT_FALSE(bad.has_value());
    EXPECT_THROW(bad.value(), std::runtime_error);
    EXPECT_TRUE(cancelled.cancelled());
}

AIO_TEST(Gather, CancellingTheGatherCancelsTheChildren) {
    auto a = aio::create_task(after(1h, 1));
    auto b = aio::create_task(after(1h, 2));
    auto g = aio::gather(a, b);
    co_await aio::sleep(1s);
    EXPECT_TRUE(g.cancel());
    EXPECT_THROW(co_await g, aio::CancelledError);
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
}

AIO_TEST(Gather, CancellingTheAwaiterCancelsTheChildren) {
    auto a = aio::create_task(after(1h, 1));
    auto waiter = aio::create_task(
        [](aio::TaskHandle<int> a) -> aio::Task<> { co_await aio::gather(a, after(1h, 2)); }(a));
    co_await aio::sleep(1s);
    waiter.cancel();
    EXPECT_THROW(co_await waiter, aio::CancelledError);
    EXPECT_TRUE(a.cancelled());
}

AIO_TEST(Wait, AllCompleted) {
    std::vector<aio::Task<int>> tasks;
    tasks.push_back(after(3s, 3));
    tasks.push_back(after(1s, 1));
    auto [done, pending] = co_await aio::wait(std::move(tasks));
    EXPECT_EQ(done.size(), 2u);
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(done[0].result(), 3);  // input order
}

AIO_TEST(Wait, FirstCompletedLoop) {
    std::vector<aio::TaskHandle<int>> pending;
    for (int t : {3, 1, 2})
        pending.push_back(aio::create_task(after(std::chrono::seconds(t), t)));
    std::vector<int> order;
    while (!pending.empty()) {
        auto result = co_await aio::wait(std::move(pending), aio::FIRST_COMPLETED);
        for (auto& f : result.done)
            order.push_back(co_await f);
        pending = std::move(result.pending);
    }
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

AIO_TEST(Wait, FirstException) {
    auto fs = start_all(tasks_of(after(5s, 1), fail_after(2s, "x"), after(1s, 2)));
    auto& loop = aio::get_running_loop();
    auto start = loop.time();
    auto [done, pending] = co_await aio::wait(fs, aio::FIRST_EXCEPTION);
    EXPECT_EQ(loop.time() - start, 2s);
    EXPECT_EQ(done.size(), 2u);
    EXPECT_EQ(pending.size(), 1u);
    co_await pending[0];
}

AIO_TEST(Wait, TimeoutLeavesTheRestPendingAndRunning) {
    auto fs = start_all(tasks_of(after(1s, 1), after(10s, 2)));
    auto [done, pending] = co_await aio::wait(fs, aio::ALL_COMPLETED, 5s);
    EXPECT_EQ(done.size(), 1u);
    AIO_ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(co_await pending[0], 2);
}

AIO_TEST(Wait, EmptyIsAnError) {
    std::vector<aio::TaskHandle<int>> none;
    try {
        co_await aio::wait(std::move(none));
        ADD_FAILURE() << "no error";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Set of Tasks/Futures is empty.");  // asyncio's words
    }
}

AIO_TEST(Wait, CancellingTheWaiterLeavesTheFuturesAlone) {
    auto a = aio::create_task(after(10s, 1));
    auto waiter = aio::create_task([](aio::TaskHandle<int> a) -> aio::Task<> {
        co_await aio::wait(std::vector<aio::TaskHandle<int>>(1, a));
    }(a));
    co_await aio::sleep(1s);
    waiter.cancel();
    EXPECT_THROW(co_await waiter, aio::CancelledError);
    EXPECT_FALSE(a.done());
    EXPECT_EQ(co_await a, 1);
}

AIO_TEST(AsCompleted, YieldsInCompletionOrder) {
    std::vector<aio::Task<int>> tasks;
    for (int t : {3, 1, 2})
        tasks.push_back(after(std::chrono::seconds(t), t));
    std::vector<int> order;
    for (auto next : aio::as_completed(std::move(tasks)))
        order.push_back(co_await next);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

AIO_TEST(AsCompleted, RaisesEachFailureInTurnAndTimesOut) {
    auto fs = start_all(tasks_of(fail_after(1s, "x"), after(2s, 2), after(1h, 3)));
    auto results = aio::as_completed(fs, 10s);
    EXPECT_THROW(co_await results.next(), std::runtime_error);
    EXPECT_EQ(co_await results.next(), 2);
    EXPECT_THROW(co_await results.next(), aio::TimeoutError);
    fs[2].cancel();
    EXPECT_THROW(co_await fs[2], aio::CancelledError);
}

// create_task and gather take any awaitable, as asyncio's do: aio::sleep(), a queue's get().
AIO_TEST(Gather, AnyAwaitable) {
    const auto t0 = aio::get_running_loop().time();
    auto sleeper = aio::create_task(aio::sleep(1s));
    co_await sleeper;
    aio::Queue<int> q;
    q.put_nowait(1);
    auto [slept, got] = co_await aio::gather(aio::sleep(1s), q.get());
    EXPECT_EQ(got, 1);
    EXPECT_EQ(slept, std::monostate{});
    EXPECT_EQ(aio::get_running_loop().time() - t0, 2s);
}

}  // namespace
