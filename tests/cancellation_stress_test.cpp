// Random cancellation across every awaitable of the core: many workers run random mixes of
// sleep, awaits of tasks and futures, gather, wait, as_completed, wait_for, timeout, shield and
// TaskGroup, while a chaos task cancels them at random moments. Seeded and on virtual time, so a
// failure reproduces exactly. Invariants: each worker ends exactly once (finished or cancelled),
// nothing leaks (checked by AIO_TEST and, in CI, by ASan/LSan), no stray exception.
#include <random>
#include <vector>

#include "aio/testing.hpp"

using namespace std::chrono_literals;

namespace {

struct World {
    std::mt19937 rng;
    int finished = 0;
    int cancelled = 0;
    std::vector<aio::TaskHandle<int>> shielded;  // shielded children outlive their waiters
    explicit World(unsigned seed) : rng(seed) {}
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
    aio::Duration some_time() { return std::chrono::milliseconds(pick(50)); }
};

aio::Task<int> child(aio::Duration d, int v) {
    co_await aio::sleep(d);
    co_return v;
}

std::vector<aio::TaskHandle<int>> children(World& w, int n) {
    std::vector<aio::TaskHandle<int>> out;
    for (int i = 0; i < n; ++i)
        out.push_back(aio::create_task(child(w.some_time(), i)));
    return out;
}

// Cancels what is left and waits for it, so no child outlives the step that made it.
aio::Task<> reap(std::vector<aio::TaskHandle<int>> hs) {
    for (auto& h : hs)
        h.cancel();
    for (auto& h : hs) {
        try {
            co_await h;
        } catch (const aio::CancelledError&) {
        }
    }
}

// Runs body; then, however it ended, cancels and reaps the children; then rethrows body's
// cancellation, if that is how it ended.
aio::Task<> then_reap(aio::Task<> body, std::vector<aio::TaskHandle<int>> hs) {
    std::exception_ptr error;
    try {
        co_await std::move(body);
    } catch (const aio::CancelledError&) {
        error = std::current_exception();
    }
    auto r = reap(hs);
    co_await std::move(r);
    if (error) std::rethrow_exception(error);
}

aio::Task<> one_step(World& w) {
    switch (w.pick(9)) {
        case 0:
            co_await aio::sleep(w.some_time());
            break;
        case 1: {
            auto hs = children(w, 1);
            co_await hs[0];  // cancelling the worker cancels the awaited child too
            break;
        }
        case 2: {
            auto g = aio::gather(child(w.some_time(), 1), child(w.some_time(), 2));
            co_await g;
            break;
        }
        case 3: {
            auto hs = children(w, 3);
            auto body = [](std::vector<aio::TaskHandle<int>> hs, aio::Duration t) -> aio::Task<> {
                co_await aio::wait(std::move(hs), aio::FIRST_COMPLETED, t);
            };
            auto step = then_reap(body(hs, w.some_time()), hs);
            co_await std::move(step);
            break;
        }
        case 4: {
            try {
                auto t = aio::wait_for(child(w.some_time(), 1), w.some_time());
                co_await std::move(t);
            } catch (const aio::TimeoutError&) {
            }
            break;
        }
        case 5: {
            auto cm = aio::timeout(w.some_time());
            try {
                auto body = cm.run(child(w.some_time(), 1));
                co_await std::move(body);
            } catch (const aio::TimeoutError&) {
            }
            break;
        }
        case 6: {
            auto hs = children(w, 1);
            w.shielded.push_back(hs[0]);
            auto s = aio::shield(hs[0]);
            co_await s;
            break;
        }
        case 7: {
            aio::TaskGroup tg;
            auto body = [](aio::TaskGroup& tg, World& w) -> aio::Task<> {
                tg.create_task(child(w.some_time(), 1));
                tg.create_task(child(w.some_time(), 2));
                co_await aio::sleep(w.some_time());
            };
            auto run = tg.run(body(tg, w));
            co_await std::move(run);
            break;
        }
        case 8: {
            auto hs = children(w, 3);
            auto body = [](std::vector<aio::TaskHandle<int>> hs) -> aio::Task<> {
                for (auto next : aio::as_completed(std::move(hs)))
                    co_await next;
            };
            auto step = then_reap(body(hs), hs);
            co_await std::move(step);
            break;
        }
    }
}

aio::Task<int> worker(World& w, int steps) {
    try {
        for (int i = 0; i < steps; ++i) {
            auto s = one_step(w);
            co_await std::move(s);
        }
    } catch (const aio::CancelledError&) {
        ++w.cancelled;
        throw;
    }
    ++w.finished;
    co_return 0;
}

aio::Task<> chaos(World& w, std::vector<aio::TaskHandle<int>>& workers) {
    for (int i = 0; i < 300; ++i) {
        co_await aio::sleep(std::chrono::milliseconds(w.pick(20)));
        workers[w.pick(static_cast<int>(workers.size()))].cancel();
    }
}

void run_world(unsigned seed) {
    auto main = [](unsigned seed) -> aio::Task<> {
        World w(seed);
        std::vector<aio::TaskHandle<int>> workers;
        for (int i = 0; i < 200; ++i)
            workers.push_back(aio::create_task(worker(w, 20)));
        auto c = aio::create_task(chaos(w, workers));
        auto all = aio::gather(aio::return_exceptions, workers);
        auto outcomes = co_await all;
        co_await c;
        int cancelled = 0;
        for (auto& o : outcomes) {
            if (o.cancelled())
                ++cancelled;
            else
                EXPECT_TRUE(o.has_value()) << aio::describe(o.exception());
        }
        EXPECT_EQ(w.finished + w.cancelled, 200);
        EXPECT_EQ(cancelled, w.cancelled);
        EXPECT_GT(w.cancelled, 0);
        EXPECT_GT(w.finished, 0);
        for (auto& s : w.shielded) {
            try {
                co_await s;
            } catch (const aio::CancelledError&) {
            }
        }
    };
    std::vector<aio::ExceptionContext> reports;
    aio::EventLoop loop({.virtual_time = true});
    loop.set_exception_handler(
        [&](aio::EventLoop&, const aio::ExceptionContext& c) { reports.push_back(c); });
    loop.run_until_complete(main(seed));
    EXPECT_TRUE(aio::all_tasks(loop).empty());
    for (auto& r : reports)
        ADD_FAILURE() << r.message << " " << r.future << " " << aio::describe(r.exception);
}

TEST(CancellationStress, Seed1) {
    run_world(1);
}
TEST(CancellationStress, Seed2) {
    run_world(2);
}
TEST(CancellationStress, Seed3) {
    run_world(3);
}
TEST(CancellationStress, Seed4) {
    run_world(4);
}

}  // namespace
