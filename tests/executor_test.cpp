// Threads for blocking calls: to_thread, run_in_executor, ThreadPoolExecutor, and what happens
// when the awaiting task is cancelled or the loop closes while a call still runs.
#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

AIO_TEST(Executor, ToThreadBringsBackValuesAndExceptions) {
    const auto loop_thread = std::this_thread::get_id();
    const auto worker = co_await aio::to_thread([] { return std::this_thread::get_id(); });
    EXPECT_NE(worker, loop_thread);
    EXPECT_EQ(co_await aio::to_thread([](int a, int b) { return a * b; }, 6, 7), 42);
    // Move-only functions and arguments, as std::thread takes them.
    auto owned = std::make_unique<int>(5);
    auto take = [p = std::make_unique<int>(2)](std::unique_ptr<int> q) { return *p * *q; };
    EXPECT_EQ(co_await aio::to_thread(std::move(take), std::move(owned)), 10);
    auto moved_out = [s = std::make_unique<std::string>("moved")]() mutable {
        return std::move(*s);
    };
    EXPECT_EQ(co_await aio::run_in_executor(aio::default_executor(), std::move(moved_out)),
              "moved");
    co_await aio::to_thread([] {});  // void
    EXPECT_THROW(co_await aio::to_thread([]() -> int { throw aio_test::Failure("in a thread"); }),
                 aio_test::Failure);
}

AIO_TEST(Executor, CancellingTheAwaiterDropsTheResult) {
    std::promise<void> release;
    auto released = release.get_future().share();
    std::promise<void> finished;
    auto blocked = aio::create_task(aio::to_thread([released, &finished] {
        released.wait();
        finished.set_value();
        return std::string("too late");
    }));
    co_await aio::sleep(0s);
    blocked.cancel();
    EXPECT_THROW(co_await blocked, aio::CancelledError);  // at once, while the thread still runs
    release.set_value();
    // Wait (on another worker) for the first call to end; its result arrives and is dropped.
    auto done = finished.get_future().share();
    // (Named first: g++ 12 destroys a capturing lambda made inside a co_await expression twice.)
    auto wait_done = [done] { done.wait(); };
    co_await aio::to_thread(wait_done);
    co_await aio::sleep(0s);
    co_await aio::sleep(0s);
}

AIO_TEST(Executor, WorkersAreBounded) {
    aio::ThreadPoolExecutor executor(2);
    EXPECT_EQ(executor.max_workers(), 2u);
    std::mutex m;
    std::set<std::thread::id> threads;
    std::vector<aio::TaskHandle<int>> calls;
    for (int i = 0; i < 8; ++i)
        calls.push_back(aio::create_task(aio::run_in_executor(executor, [&, i] {
            std::lock_guard lock(m);
            threads.insert(std::this_thread::get_id());
            return i;
        })));
    int sum = 0;
    for (auto& c : calls)
        sum += co_await c;
    EXPECT_EQ(sum, 28);
    EXPECT_LE(threads.size(), 2u);
    executor.shutdown();
    EXPECT_THROW(executor.submit([] {}), aio::RuntimeError);
}

// The loop closes while a call runs: close() waits for the default executor's threads, and the
// late result goes nowhere.
// loop.set_default_executor: the new executor takes the calls from then on; the one replaced
// finishes what it has.
AIO_TEST(Executor, SetDefaultExecutor) {
    std::promise<void> release;
    auto released = release.get_future().share();
    auto on_first = aio::create_task(aio::to_thread([released] {
        released.wait();
        return std::this_thread::get_id();
    }));
    co_await aio::sleep(0s);
    aio::set_default_executor(std::make_unique<aio::ThreadPoolExecutor>(1));
    EXPECT_EQ(aio::default_executor().max_workers(), 1u);
    const auto second_worker = co_await aio::to_thread([] { return std::this_thread::get_id(); });
    release.set_value();
    EXPECT_NE(co_await on_first, second_worker);
    EXPECT_THROW(aio::set_default_executor(nullptr), std::invalid_argument);
}

// A to_thread call, as a task, that returns `value` once `released` is ready.
aio::TaskHandle<int> call_held_until(std::shared_future<void> released, int value) {
    return aio::create_task(aio::to_thread([released, value] {
        released.wait();
        return value;
    }));
}

// asyncio 3.12's loop.shutdown_default_executor(): it waits for the calls under way, and the
// default executor takes no new ones.
AIO_TEST(Executor, ShutdownDefaultExecutorWaitsForTheCallsUnderWay) {
    std::promise<void> release;
    auto call = call_held_until(release.get_future().share(), 7);
    co_await aio::sleep(0s);
    auto shutting_down = aio::create_task(aio::shutdown_default_executor());
    co_await aio::sleep(0s);
    EXPECT_FALSE(shutting_down.done());
    try {
        co_await aio::to_thread([] {});
        ADD_FAILURE() << "to_thread after shutdown_default_executor";
    } catch (const aio::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "Executor shutdown has been called");
    }
    release.set_value();
    co_await shutting_down;
    EXPECT_TRUE(call.done());
    EXPECT_EQ(co_await call, 7);
    co_await aio::shutdown_default_executor();  // a second time: nothing to do
}

// With a timeout that runs out, asyncio warns and returns; the threads are joined at close.
AIO_TEST(Executor, ShutdownDefaultExecutorTimeout) {
    std::promise<void> release;
    auto call = call_held_until(release.get_future().share(), 8);
    co_await aio::sleep(0s);
    co_await aio::shutdown_default_executor(50ms);
    const auto reports = aio::testing::take_reports();
    AIO_ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message,
              "The executor did not finishing joining its threads within 0.05 seconds.");
    EXPECT_FALSE(call.done());
    release.set_value();
    EXPECT_EQ(co_await call, 8);
}

TEST(Executor, LoopCloseWaitsForRunningCalls) {
    std::atomic<bool> ran{false};
    std::promise<void> started;
    {
        aio::EventLoop loop;
        std::vector<std::string> reports;
        loop.set_exception_handler(
            [&](aio::EventLoop&, const aio::ExceptionContext& c) { reports.push_back(c.message); });
        loop.create_task(aio::to_thread([&] {
            started.set_value();
            std::this_thread::yield();
            ran = true;
        }));
        loop.run_until_complete([&]() -> aio::Task<> {
            auto wait_started = [f = started.get_future().share()] { f.wait(); };
            co_await aio::to_thread(wait_started);
        }());
        loop.close();
        EXPECT_TRUE(ran);
        EXPECT_LE(reports.size(), 1u);  // the first task, if it had not finished
    }
}

}  // namespace
