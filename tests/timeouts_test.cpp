// timeout(), timeout_at(), wait_for() and shield(), with asyncio 3.11+ cancel counting.
#include <optional>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

using aio_test::after;
using aio_test::fail_after;
using aio_test::Failure;

AIO_TEST(Timeout, ExpiresIntoTimeoutError) {
    auto& loop = aio::get_running_loop();
    const auto start = loop.time();
    auto cm = aio::timeout(2s);
    EXPECT_THROW(co_await cm.run(after(1h, 1)), aio::TimeoutError);
    EXPECT_TRUE(cm.expired());
    EXPECT_EQ(loop.time() - start, 2s);
    EXPECT_EQ(aio::current_task().cancelling(), 0);  // the timeout took its cancel back
}

AIO_TEST(Timeout, BodyFinishingInTimeKeepsItsValue) {
    auto cm = aio::timeout(5s);
    EXPECT_EQ(co_await cm.run(after(1s, 7)), 7);
    EXPECT_FALSE(cm.expired());
}

AIO_TEST(Timeout, RescheduleFromInsideTheBody) {
    auto& loop = aio::get_running_loop();
    auto cm = aio::timeout(std::nullopt);
    EXPECT_THROW(cm.reschedule(loop.time()), aio::RuntimeError);  // not entered yet
    auto body = [](aio::Timeout& cm) -> aio::Task<int> {
        auto& loop = aio::get_running_loop();
        co_await aio::sleep(10s);  // no deadline yet
        cm.reschedule(loop.time() + 1s);
        co_return co_await after(1h, 0);
    };
    const auto start = loop.time();
    EXPECT_THROW(co_await cm.run(body(cm)), aio::TimeoutError);
    EXPECT_EQ(loop.time() - start, 11s);
    EXPECT_THROW(cm.reschedule(std::nullopt), aio::RuntimeError);  // finished
}

AIO_TEST(Timeout, PastDeadlineExpiresAtTheFirstSuspension) {
    auto cm = aio::timeout(-1s);
    EXPECT_THROW(co_await cm.run(after(1s, 0)), aio::TimeoutError);
    auto at = aio::timeout_at(aio::get_running_loop().time());
    EXPECT_THROW(co_await at.run(after(1s, 0)), aio::TimeoutError);
}

AIO_TEST(Timeout, NestedTimeoutsEachRaiseTheirOwn) {
    auto outer = aio::timeout(10s);
    auto body = []() -> aio::Task<bool> {
        auto inner = aio::timeout(1s);
        bool inner_fired = false;
        try {
            co_await inner.run(after(1h, 0));
        } catch (const aio::TimeoutError&) {
            inner_fired = true;
        }
        co_await aio::sleep(1h);  // the outer deadline ends this
        co_return inner_fired;
    };
    bool outer_fired = false;
    try {
        co_await outer.run(body());
    } catch (const aio::TimeoutError&) {
        outer_fired = true;
    }
    EXPECT_TRUE(outer_fired);
    EXPECT_TRUE(outer.expired());
}

AIO_TEST(Timeout, ExternalCancelIsNotATimeout) {
    auto t = aio::create_task([]() -> aio::Task<> {
        auto cm = aio::timeout(1h);
        co_await cm.run(after(1h, 0));
    }());
    co_await aio::sleep(1s);
    t.cancel();
    EXPECT_THROW(co_await t, aio::CancelledError);  // stays CancelledError, not TimeoutError
}

AIO_TEST(Timeout, OutsideATaskIsAnError) {
    auto cm = aio::timeout(1s);
    co_await cm.run(after(0s, 0));
    EXPECT_THROW(co_await cm.run(after(0s, 0)), aio::RuntimeError);  // entered twice
}

AIO_TEST(WaitFor, ReturnsOrTimesOut) {
    EXPECT_EQ(co_await aio::wait_for(after(1s, 1), 2s), 1);
    EXPECT_THROW(co_await aio::wait_for(after(3s, 1), 2s), aio::TimeoutError);
    auto t = aio::create_task(after(1h, 1));
    EXPECT_THROW(co_await aio::wait_for(t, 1s), aio::TimeoutError);
    EXPECT_TRUE(t.cancelled());  // wait_for cancels what it waited for
}

AIO_TEST(WaitFor, ZeroOrNegativeTimeoutNeverStartsTheBody) {
    bool ran = false;
    auto body = [](bool* flag) -> aio::Task<int> {
        *flag = true;
        co_return 1;
    };
    EXPECT_THROW(co_await aio::wait_for(body(&ran), 0s), aio::TimeoutError);
    EXPECT_THROW(co_await aio::wait_for(body(&ran), -5s), aio::TimeoutError);
    EXPECT_FALSE(ran);
    auto done = aio::create_task(after(0s, 4));
    co_await aio::sleep(1s);
    EXPECT_EQ(co_await aio::wait_for(done, 0s), 4);  // already done: its result
}

// asyncio.wait_for takes any awaitable, and timeout=None.
AIO_TEST(WaitFor, AnyAwaitable) {
    aio::Queue<int> q;
    EXPECT_THROW(co_await aio::wait_for(q.get(), 10ms), aio::TimeoutError);
    q.put_nowait(7);
    EXPECT_EQ(co_await aio::wait_for(q.get(), 10ms), 7);
    aio::Queue<int> one(1);
    one.put_nowait(1);
    EXPECT_THROW(co_await aio::wait_for(one.put(2), 10ms), aio::TimeoutError);
    EXPECT_EQ(one.qsize(), 1u);  // the put that timed out left nothing behind

    const auto t0 = aio::get_running_loop().time();
    EXPECT_THROW(co_await aio::wait_for(aio::sleep(5s), 1s), aio::TimeoutError);
    co_await aio::wait_for(aio::sleep(1s), 5s);
    EXPECT_EQ(aio::get_running_loop().time() - t0, 2s);

    // A future is cancelled at the timeout, as asyncio's.
    aio::Future<int> never;
    EXPECT_THROW(co_await aio::wait_for(never, 1s), aio::TimeoutError);
    EXPECT_TRUE(never.cancelled());
    aio::Future<int> soon;
    aio::get_running_loop().call_later(10ms, [soon]() mutable { soon.set_result(3); });
    EXPECT_EQ(co_await aio::wait_for(soon, 1s), 3);

    // timeout=None: no limit.
    EXPECT_EQ(co_await aio::wait_for(after(10s, 42), std::nullopt), 42);
    q.put_nowait(8);
    EXPECT_EQ(co_await aio::wait_for(q.get(), std::nullopt), 8);
    std::optional<aio::Duration> limit = 1s;
    EXPECT_THROW(co_await aio::wait_for(aio::sleep(2s), limit), aio::TimeoutError);
}

AIO_TEST(Shield, AnyAwaitable) {
    aio::Queue<int> q;
    auto shielded_get = [](aio::Queue<int>& q) -> aio::Task<int> {
        co_return co_await aio::shield(q.get());
    };
    auto waiter = aio::create_task(shielded_get(q));
    co_await aio::sleep(0s);
    waiter.cancel();
    EXPECT_THROW(co_await waiter, aio::CancelledError);
    q.put_nowait(5);  // the shielded get still waits, and takes it
    co_await aio::sleep(0s);
    EXPECT_EQ(q.qsize(), 0u);
    co_await aio::shield(aio::sleep(1s));
}

AIO_TEST(Shield, CancellingTheWaiterLeavesTheInnerTaskRunning) {
    auto inner = aio::create_task(after(5s, 9));
    auto waiter = aio::create_task([](aio::TaskHandle<int> inner) -> aio::Task<int> {
        co_return co_await aio::shield(inner);
    }(inner));
    co_await aio::sleep(1s);
    waiter.cancel();
    EXPECT_THROW(co_await waiter, aio::CancelledError);
    EXPECT_FALSE(inner.done());
    EXPECT_EQ(co_await inner, 9);
}

AIO_TEST(Shield, PassesTheResultThrough) {
    EXPECT_EQ(co_await aio::shield(after(1s, 3)), 3);
    auto done = aio::create_task(after(0s, 5));
    co_await aio::sleep(1s);
    EXPECT_EQ(co_await aio::shield(done), 5);
}

AIO_TEST(Shield, WithWaitForTheInnerWorkSurvivesTheTimeout) {
    auto inner = aio::create_task(after(5s, 2));
    auto guarded = [](aio::TaskHandle<int> inner) -> aio::Task<int> {
        co_return co_await aio::shield(inner);
    };
    EXPECT_THROW(co_await aio::wait_for(guarded(inner), 1s), aio::TimeoutError);
    EXPECT_EQ(co_await inner, 2);
}

}  // namespace
