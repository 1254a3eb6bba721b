// TaskGroup: structured concurrency with asyncio 3.11's rules.
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

using aio_test::after;
using aio_test::fail_after;
using aio_test::Failure;

AIO_TEST(TaskGroup, WaitsForEveryTask) {
    aio::TaskGroup tg;
    aio::TaskHandle<int> a, b;
    auto& loop = aio::get_running_loop();
    const auto start = loop.time();
    co_await tg.run([&]() -> aio::Task<> {
        a = tg.create_task(after(1s, 1));
        b = tg.create_task(after(3s, 2));
        co_return;
    }());
    EXPECT_EQ(loop.time() - start, 3s);
    EXPECT_EQ(a.result() + b.result(), 3);
}

AIO_TEST(TaskGroup, FirstFailureCancelsTheRestAndAllErrorsAreReported) {
    aio::TaskGroup tg;
    aio::TaskHandle<int> slow;
    bool body_cancelled = false;
    try {
        co_await tg.run([&]() -> aio::Task<> {
            slow = tg.create_task(after(1h, 0));
            tg.create_task(fail_after(1s, "one"));
            tg.create_task(fail_after(1s, "two"));
            try {
                co_await aio::sleep(1h);
            } catch (const aio::CancelledError&) {
                body_cancelled = true;
                throw;
            }
        }());
        ADD_FAILURE() << "no ExceptionGroup";
    } catch (const aio::ExceptionGroup& eg) {
        AIO_ASSERT_EQ(eg.exceptions().size(), 2u);
        std::vector<std::string> what;
        for (auto& e : eg.exceptions()) {
            try {
                std::rethrow_exception(e);
            } catch (const Failure& f) {
                what.push_back(f.what());
            }
        }
        EXPECT_EQ(what, (std::vector<std::string>{"one", "two"}));
    }
    EXPECT_TRUE(body_cancelled);
    EXPECT_TRUE(slow.cancelled());
    EXPECT_EQ(aio::current_task().cancelling(), 0);
}

AIO_TEST(TaskGroup, BodyErrorCancelsTasksAndJoinsTheGroup) {
    aio::TaskGroup tg;
    aio::TaskHandle<int> child;
    try {
        co_await tg.run([&]() -> aio::Task<> {
            child = tg.create_task(after(1h, 0));
            co_await aio::sleep(1s);
            throw Failure("body");
        }());
    } catch (const aio::ExceptionGroup& eg) {
        AIO_ASSERT_EQ(eg.exceptions().size(), 1u);
        EXPECT_THROW(std::rethrow_exception(eg.exceptions()[0]), Failure);
    }
    EXPECT_TRUE(child.cancelled());
}

AIO_TEST(TaskGroup, ExternalCancellationPropagatesAsCancelledError) {
    aio::TaskHandle<int> child;
    auto t = aio::create_task([](aio::TaskHandle<int>* child) -> aio::Task<> {
        aio::TaskGroup tg;
        co_await tg.run([&]() -> aio::Task<> {
            *child = tg.create_task(after(1h, 0));
            co_await aio::sleep(1h);
        }());
    }(&child));
    co_await aio::sleep(1s);
    t.cancel();
    EXPECT_THROW(co_await t, aio::CancelledError);
    EXPECT_TRUE(child.cancelled());
}

AIO_TEST(TaskGroup, CreateTaskOutsideTheScopeIsAnError) {
    aio::TaskGroup tg;
    EXPECT_THROW(tg.create_task(after(0s, 0)), aio::RuntimeError);
    co_await tg.run([]() -> aio::Task<> { co_return; }());
    EXPECT_THROW(tg.create_task(after(0s, 0)), aio::RuntimeError);
}

AIO_TEST(TaskGroup, ReturnsTheBodysValue) {
    aio::TaskGroup tg;
    int v = co_await tg.run([&]() -> aio::Task<int> {
        auto t = tg.create_task(after(1s, 20));
        co_return 1 + co_await t;
    }());
    EXPECT_EQ(v, 21);
}

}  // namespace
