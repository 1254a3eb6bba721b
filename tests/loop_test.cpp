// EventLoop: FIFO callbacks, timers, stop/run, closing, misuse, the exception handler, threads.
#include <string>
#include <thread>
#include <vector>

#include "aio/testing.hpp"

using namespace std::chrono_literals;

namespace {

aio::LoopOptions virtual_time() {
    return {.virtual_time = true};
}

TEST(Loop, CallSoonRunsInFifoOrder) {
    aio::EventLoop loop;
    std::string out;
    for (char c : std::string("abcde"))
        loop.call_soon([&out, c] { out += c; });
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(out, "abcde");
}

TEST(Loop, CallbacksScheduledWhileRunningWaitForTheNextIteration) {
    aio::EventLoop loop;
    std::string out;
    loop.call_soon([&] {
        out += "1";
        loop.call_soon([&] { out += "3"; });
    });
    loop.call_soon([&] { out += "2"; });
    loop.stop();  // stop() before run_forever: exactly one iteration, as asyncio
    loop.run_forever();
    EXPECT_EQ(out, "12");
    loop.stop();
    loop.run_forever();
    EXPECT_EQ(out, "123");
}

TEST(Loop, TimersFireInDeadlineOrderThenSetOrder) {
    aio::EventLoop loop(virtual_time());
    std::string out;
    loop.call_later(3s, [&] { out += "c"; });
    loop.call_later(1s, [&] { out += "a"; });
    loop.call_later(2s, [&] { out += "b1"; });
    loop.call_later(2s, [&] { out += "b2"; });
    loop.call_at(loop.time() + 4s, [&] { loop.stop(); });
    const auto start = loop.time();
    loop.run_forever();
    EXPECT_EQ(out, "ab1b2c");
    EXPECT_EQ(loop.time() - start, 4s);
}

TEST(Loop, CancelledHandlesDoNotRun) {
    aio::EventLoop loop(virtual_time());
    std::string out;
    auto h1 = loop.call_soon([&] { out += "x"; });
    auto t1 = loop.call_later(1s, [&] { out += "y"; });
    loop.call_later(2s, [&] { out += "z"; });
    loop.call_later(3s, [&] { loop.stop(); });
    h1.cancel();
    t1.cancel();
    EXPECT_TRUE(h1.cancelled());
    EXPECT_TRUE(t1.cancelled());
    loop.run_forever();
    EXPECT_EQ(out, "z");
}

TEST(Loop, ManyTimersCancelledInAnyOrder) {
    aio::EventLoop loop(virtual_time());
    std::vector<aio::TimerHandle> handles;
    std::vector<int> fired;
    for (int i = 0; i < 1000; ++i)
        handles.push_back(loop.call_later(std::chrono::milliseconds((i * 7919) % 1000),
                                          [&fired, i] { fired.push_back(i); }));
    for (int i = 0; i < 1000; i += 2)
        handles[(i * 31) % 1000].cancel();
    loop.call_later(2s, [&] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(fired.size(), 500u);
    for (std::size_t i = 1; i < fired.size(); ++i)
        EXPECT_LE(handles[fired[i - 1]].when(), handles[fired[i]].when());
    for (int i : fired)
        EXPECT_FALSE(handles[i].cancelled());
}

TEST(Loop, RealClockSleepsUntilTheTimer) {
    aio::EventLoop loop;
    bool fired = false;
    const auto start = loop.time();
    loop.call_later(20ms, [&] {
        fired = true;
        loop.stop();
    });
    loop.run_forever();
    EXPECT_TRUE(fired);
    EXPECT_GE(loop.time() - start, 20ms);  // never early; how late is not asserted
}

TEST(Loop, RunUntilCompleteReturnsTheValue) {
    aio::EventLoop loop(virtual_time());
    auto main = []() -> aio::Task<int> {
        co_await aio::sleep(5s);
        co_return 7;
    };
    EXPECT_EQ(loop.run_until_complete(main()), 7);
    EXPECT_FALSE(loop.is_running());
}

TEST(Loop, RunUntilCompleteRethrows) {
    aio::EventLoop loop;
    auto main = []() -> aio::Task<> {
        throw std::logic_error("bad");
        co_return;
    };
    EXPECT_THROW(loop.run_until_complete(main()), std::logic_error);
}

TEST(Loop, StoppedBeforeCompletionIsAnError) {
    aio::EventLoop loop(virtual_time());
    auto main = [](aio::EventLoop* l) -> aio::Task<> {
        l->stop();
        co_await aio::sleep(1s);
    };
    EXPECT_THROW(loop.run_until_complete(main(&loop)), aio::RuntimeError);
    loop.close();  // reports the destroyed pending task
}

TEST(Loop, ClosedLoopRefusesWork) {
    aio::EventLoop loop;
    loop.close();
    EXPECT_TRUE(loop.is_closed());
    EXPECT_THROW(loop.call_soon([] {}), aio::RuntimeError);
    EXPECT_THROW(loop.call_later(1s, [] {}), aio::RuntimeError);
    EXPECT_THROW(loop.run_forever(), aio::RuntimeError);
    auto main = []() -> aio::Task<> { co_return; };
    EXPECT_THROW(loop.run_until_complete(main()), aio::RuntimeError);
    EXPECT_THROW(loop.create_task(main()), aio::RuntimeError);
    EXPECT_THROW(loop.call_soon_threadsafe([] {}), aio::RuntimeError);
    EXPECT_THROW(loop.create_future<int>(), aio::RuntimeError);
    loop.close();  // closing twice is fine
}

struct Guard {
    bool* flag;
    ~Guard() { *flag = true; }
};
aio::Task<> forever(bool* flag) {
    Guard g{flag};
    co_await aio::sleep(1h);
}

TEST(Loop, CloseDestroysPendingTasksAndReportsThem) {
    std::vector<std::string> reports;
    bool unwound = false;
    {
        aio::EventLoop loop(virtual_time());
        loop.set_exception_handler([&](aio::EventLoop&, const aio::ExceptionContext& c) {
            reports.push_back(c.message + " " + c.future);
        });
        auto main = [](bool* flag) -> aio::Task<> {
            aio::create_task(forever(flag), "sleeper");
            co_await aio::sleep(1s);
        };
        loop.run_until_complete(main(&unwound));
        loop.close();
    }
    EXPECT_TRUE(unwound);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0], "Task was destroyed but it is pending! sleeper");
}

TEST(Loop, RunInsideARunningLoopIsAnError) {
    auto inner = []() -> aio::Task<> { co_return; };
    auto outer = [&]() -> aio::Task<> {
        EXPECT_THROW(aio::run(inner()), aio::RuntimeError);
        aio::EventLoop other;
        EXPECT_THROW(other.run_forever(), aio::RuntimeError);
        EXPECT_THROW(aio::get_running_loop().run_forever(), aio::RuntimeError);
        co_return;
    };
    aio::run(outer());
}

TEST(Loop, NoRunningLoopOutsideRun) {
    EXPECT_THROW(aio::get_running_loop(), aio::RuntimeError);
    EXPECT_THROW(aio::create_task([]() -> aio::Task<> { co_return; }()), aio::RuntimeError);
}

TEST(Loop, DelaysBeyondTheClockAreRefused) {
    aio::EventLoop loop;
    EXPECT_THROW(loop.call_later(std::chrono::hours::max(), [] {}), std::out_of_range);
    EXPECT_THROW(loop.call_later(std::chrono::duration<double>(1e300), [] {}), std::out_of_range);
    EXPECT_THROW(aio::sleep(std::chrono::hours::max()), std::out_of_range);
}

// asyncio: call_later(-0.5, cb) is a timer in the past: it runs at the next iteration, after
// the callbacks already ready, and before a timer due later (in order of when); sleep(-1) is
// sleep(0).
AIO_TEST(Loop, NegativeDelaysAreInThePast) {
    auto& loop = aio::get_running_loop();
    std::string out;
    loop.call_later(0s, [&] { out += "now "; });
    loop.call_later(-500ms, [&] { out += "half "; });
    loop.call_later(-1s, [&] { out += "second "; });
    loop.call_later(-aio::Duration::max(), [&] { out += "forever "; });
    loop.call_soon([&] { out += "soon "; });
    co_await aio::sleep(-1s);  // one turn of the loop, as sleep(0)
    EXPECT_EQ(out, "soon ");
    co_await aio::sleep(-1ms);
    EXPECT_EQ(out, "soon forever second half now ");
}

TEST(Loop, SleepBeyondTheClockIsRefused) {
    // Representable as a duration, but now + delay would overflow the (real) clock.
    auto main = []() -> aio::Task<> {
        EXPECT_THROW(co_await aio::sleep(aio::Duration::max()), std::out_of_range);
    };
    aio::run(main());
}

TEST(Loop, ExceptionsInCallbacksGoToTheHandler) {
    aio::EventLoop loop;
    std::vector<std::string> seen;
    loop.set_exception_handler([&](aio::EventLoop&, const aio::ExceptionContext& c) {
        seen.push_back(c.message + ": " + aio::describe(c.exception));
    });
    loop.call_soon([] { throw std::runtime_error("oops"); });
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], "Exception in callback: std::runtime_error: oops");
}

TEST(Loop, CallSoonThreadsafeWakesABlockedLoop) {
    aio::EventLoop loop;
    int from_threads = 0;  // touched on the loop's thread only
    std::vector<std::thread> threads;
    loop.call_soon([&] {
        for (int i = 0; i < 4; ++i) {
            threads.emplace_back([&] {
                for (int j = 0; j < 100; ++j)
                    loop.call_soon_threadsafe([&] {
                        if (++from_threads == 400) loop.stop();
                    });
            });
        }
    });
    loop.run_forever();  // no timers: only the other threads' callbacks can end this
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(from_threads, 400);
}

AIO_TEST(Loop, VirtualClockJumpsToTheNextTimer) {
    auto& loop = aio::get_running_loop();
    const auto start = loop.time();
    co_await aio::sleep(24h);
    EXPECT_EQ(loop.time() - start, 24h);
}

}  // namespace

namespace {
TEST(Loop, VirtualTimeReportsADeadlockInsteadOfHanging) {
    auto main = []() -> aio::Task<> {
        aio::Future<int> never;
        co_await never;
    };
    EXPECT_THROW(aio::testing::run_virtual(main()), aio::RuntimeError);
}
}  // namespace
