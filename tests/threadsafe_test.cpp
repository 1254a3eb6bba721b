// Crossing threads into a loop: run_coroutine_threadsafe and its ConcurrentFuture (values,
// exceptions, cancellation from the other thread, a loop that closes first), and
// call_soon_threadsafe from many threads at once. Run under ThreadSanitizer by .ci/run.
#include <atomic>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

aio::Task<int> add_later(int a, int b) {
    co_await aio::sleep(10ms);
    co_return a + b;
}

aio::Task<int> add_now(int a, int b) {
    co_return a + b;
}

aio::Task<std::string> fail_later() {
    co_await aio::sleep(0s);
    throw aio_test::Failure("from the loop");
}

// Never finishes by itself (an event nobody sets: no timer for the virtual clock to jump to).
aio::Task<> forever(std::atomic<bool>& started) {
    aio::Event never;
    started = true;
    co_await never.wait();
}

// Runs f on a new thread and waits for it without blocking the loop.
template <class F>
aio::Task<> on_other_thread(F f) {
    std::thread thread(std::move(f));
    auto join = [&thread] { thread.join(); };
    co_await aio::to_thread(join);
}

AIO_TEST(Threadsafe, ValuesAndExceptionsReachTheOtherThread) {
    aio::EventLoop& loop = aio::get_running_loop();
    int sum = 0;
    std::string error;
    bool was_done_at_once = true;
    co_await on_other_thread([&] {
        auto f = aio::run_coroutine_threadsafe(add_later(2, 3), loop);
        was_done_at_once = f.done();
        sum = f.get();
        auto g = aio::run_coroutine_threadsafe(fail_later(), loop);
        try {
            g.get();
        } catch (const aio_test::Failure& e) {
            error = e.what();
        }
    });
    EXPECT_FALSE(was_done_at_once);
    EXPECT_EQ(sum, 5);
    EXPECT_EQ(error, "from the loop");
}

AIO_TEST(Threadsafe, CancelFromTheOtherThread) {
    aio::EventLoop& loop = aio::get_running_loop();
    std::atomic<bool> started{false};
    bool cancelled = false, threw = false, second_cancel = true;
    co_await on_other_thread([&] {
        auto f = aio::run_coroutine_threadsafe(forever(started), loop);
        EXPECT_FALSE(f.wait_for(1ms));
        EXPECT_TRUE(f.cancel());
        try {
            f.get();
        } catch (const aio::CancelledError&) {
            threw = true;
        }
        cancelled = f.cancelled();
        second_cancel = f.cancel();
    });
    EXPECT_TRUE(threw);
    EXPECT_TRUE(cancelled);
    EXPECT_FALSE(second_cancel);
}

// asyncio.wrap_future: a task awaits what another thread's loop computes, through wrap_future
// or any combinator (a ConcurrentFuture converts to a task); cancelling the wrapping future
// cancels the other loop's task.
AIO_TEST(Threadsafe, WrapFutureAwaitsAnotherLoop) {
    std::promise<aio::EventLoop*> ready;
    std::thread thread([&ready] {
        aio::EventLoop other;
        ready.set_value(&other);
        other.run_forever();
    });
    aio::EventLoop* other = ready.get_future().get();
    auto sum = aio::run_coroutine_threadsafe(add_later(2, 3), *other);
    EXPECT_EQ(co_await aio::wrap_future(std::move(sum)), 5);
    auto quick = aio::run_coroutine_threadsafe(add_now(1, 1), *other);
    EXPECT_EQ(co_await aio::wait_for(std::move(quick), 10s), 2);
    EXPECT_THROW(co_await aio::wrap_future(aio::run_coroutine_threadsafe(fail_later(), *other)),
                 aio_test::Failure);

    std::atomic<bool> started{false};
    auto endless = aio::run_coroutine_threadsafe(forever(started), *other);
    auto waiting = aio::wrap_future(endless);
    co_await aio::sleep(0s);
    waiting.cancel();
    auto wait_ended = [endless] { endless.wait(); };
    co_await aio::to_thread(wait_ended);
    EXPECT_TRUE(endless.cancelled());

    other->call_soon_threadsafe([other] { other->stop(); });
    auto join = [&thread] { thread.join(); };
    co_await aio::to_thread(join);
}

TEST(ThreadsafeClose, LoopClosingFirstReleasesTheWaiter) {
    std::atomic<bool> started{false};
    aio::ConcurrentFuture<int> never_started = [&] {
        aio::EventLoop loop;
        auto f = aio::run_coroutine_threadsafe(add_later(1, 1), loop);
        loop.close();  // before it ran
        return f;
    }();
    EXPECT_TRUE(never_started.done());
    EXPECT_THROW(never_started.get(), aio::RuntimeError);

    aio::EventLoop loop;
    auto pending = aio::run_coroutine_threadsafe(forever(started), loop);
    loop.run_until_complete(add_later(0, 0));  // it starts, and is still pending at close
    EXPECT_TRUE(started);
    loop.set_exception_handler([](aio::EventLoop&, const aio::ExceptionContext&) {});
    loop.close();
    EXPECT_THROW(pending.get(), aio::RuntimeError);

    EXPECT_THROW(aio::run_coroutine_threadsafe(add_later(1, 1), loop), aio::RuntimeError);
}

AIO_TEST(Threadsafe, CallSoonThreadsafeFromManyThreads) {
    aio::EventLoop& loop = aio::get_running_loop();
    constexpr int kThreads = 4, kEach = 1000;
    int total = 0;  // touched only on the loop's thread
    co_await on_other_thread([&] {
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < kEach; ++i)
                    loop.call_soon_threadsafe([&] { ++total; });
            });
        for (auto& t : threads)
            t.join();
    });
    co_await aio::sleep(0s);  // the callbacks posted last run on this iteration
    EXPECT_EQ(total, kThreads * kEach);
}

AIO_TEST(Threadsafe, PostingFromAnotherThreadReusesItsMemory) {
    // What a poster allocates is freed on the loop's thread: it must come back to the poster, or
    // the poster takes new memory for every post (2M posts once grew RSS by 115 MB).
    aio::EventLoop& loop = aio::get_running_loop();
    constexpr int kPosts = 200'000, kInFlight = 100, kCoroutines = 5'000;
    std::atomic<int> ran{0};
    std::size_t carved_warm = 0, carved_after_posts = 0, carved_after_coroutines = 0;
    int results = 0;
    co_await on_other_thread([&] {
        for (int i = 0; i < kPosts; ++i) {
            while (i - ran.load() >= kInFlight)
                std::this_thread::yield();
            loop.call_soon_threadsafe([&] { ran.fetch_add(1); });
            if (i == kPosts / 10) carved_warm = aio::detail::pool_bytes_carved();
        }
        carved_after_posts = aio::detail::pool_bytes_carved();
        // Coroutine frames made here and finished on the loop.
        for (int i = 0; i < kCoroutines; ++i)
            results += aio::run_coroutine_threadsafe(add_now(i, 1), loop).get() == i + 1;
        carved_after_coroutines = aio::detail::pool_bytes_carved();
    });
    co_await aio::sleep(0s);
    EXPECT_EQ(ran.load(), kPosts);
    EXPECT_EQ(results, kCoroutines);
    constexpr std::size_t kSlack = 2 * 64 * 1024;  // a chunk or two while blocks are in flight
    EXPECT_LE(carved_after_posts, carved_warm + kSlack);
    EXPECT_LE(carved_after_coroutines, carved_after_posts + kSlack);
}

}  // namespace
