// Randomized cancellation per primitive: many tasks use a queue, lock, semaphore, event,
// condition or barrier while a chaos task cancels them at random moments. Seeded and on virtual
// time (a failure reproduces exactly). Invariants: no item lost or duplicated, no permit lost, no
// waiter left stuck while what it waits for is available, nothing leaked (AIO_TEST, ASan).
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

struct Chaos {
    std::mt19937 rng;
    explicit Chaos(unsigned seed) : rng(seed) {}
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
    aio::Duration some_time(int max_ms = 20) { return std::chrono::milliseconds(pick(max_ms)); }
};

// Cancels a random task of `tasks` now and then, `times` times.
aio::Task<> cancel_randomly(Chaos& chaos, std::vector<aio::TaskHandle<>>& tasks, int times) {
    for (int i = 0; i < times; ++i) {
        co_await aio::sleep(chaos.some_time(10));
        tasks[chaos.pick(static_cast<int>(tasks.size()))].cancel();
    }
}

// Awaits every task, whatever it ended with except an unexpected exception.
aio::Task<> settle(std::vector<aio::TaskHandle<>>& tasks) {
    auto outcomes = co_await aio::gather(aio::return_exceptions, tasks);
    for (auto& o : outcomes) {
        if (!o.has_value() && !o.cancelled()) ADD_FAILURE() << aio::describe(o.exception());
    }
}

aio::Task<> queue_world(unsigned seed) {
    Chaos chaos(seed);
    aio::Queue<int> q(3);
    std::set<int> put_ok, got;
    std::vector<aio::TaskHandle<>> producers, consumers, all;
    for (int p = 0; p < 10; ++p) {
        producers.push_back(aio::create_task(
            [](aio::Queue<int>& q, Chaos& c, std::set<int>& ok, int p) -> aio::Task<> {
                for (int i = 0; i < 30; ++i) {
                    const int item = p * 1000 + i;
                    co_await q.put(item);  // returns only once the item is in the queue
                    ok.insert(item);
                    co_await aio::sleep(c.some_time(5));
                }
            }(q, chaos, put_ok, p)));
    }
    for (int c = 0; c < 10; ++c) {
        consumers.push_back(
            aio::create_task([](aio::Queue<int>& q, Chaos& c, std::set<int>& got) -> aio::Task<> {
                while (true) {
                    const int item = co_await q.get();
                    EXPECT_TRUE(got.insert(item).second) << "item " << item << " delivered twice";
                    co_await aio::sleep(c.some_time(5));
                }
            }(q, chaos, got)));
    }
    all = producers;
    all.insert(all.end(), consumers.begin(), consumers.end());
    co_await cancel_randomly(chaos, all, 60);
    co_await settle(producers);
    co_await aio::sleep(1h);  // quiescence: live consumers drained what they could
    const auto stats = q.statistics();
    EXPECT_FALSE(stats.size > 0 && stats.getters > 0)
        << "a getter is stuck next to " << stats.size << " items";
    EXPECT_EQ(stats.putters, 0u);
    q.shutdown();  // consumers still alive end with QueueShutDown
    for (auto& c : consumers)
        c.cancel();
    co_await settle(consumers);
    std::set<int> accounted = got;
    while (!q.empty())
        EXPECT_TRUE(accounted.insert(q.get_nowait()).second);
    EXPECT_EQ(accounted, put_ok) << "items lost or invented";
    EXPECT_GT(got.size(), 0u);
}

aio::Task<> semaphore_world(unsigned seed, long permits) {
    Chaos chaos(seed);
    aio::Semaphore sem(permits);
    long inside = 0, most = 0;
    std::vector<aio::TaskHandle<>> workers;
    for (int w = 0; w < 30; ++w) {
        workers.push_back(aio::create_task(
            [](aio::Semaphore& sem, Chaos& c, long& inside, long& most) -> aio::Task<> {
                for (int i = 0; i < 10; ++i) {
                    co_await sem.acquire();
                    most = std::max(most, ++inside);
                    try {
                        co_await aio::sleep(c.some_time(5));
                    } catch (const aio::CancelledError&) {
                        --inside;
                        sem.release();
                        throw;
                    }
                    --inside;
                    sem.release();
                }
            }(sem, chaos, inside, most)));
    }
    co_await cancel_randomly(chaos, workers, 60);
    co_await settle(workers);
    EXPECT_LE(most, permits);
    EXPECT_EQ(inside, 0);
    EXPECT_EQ(sem.value(), permits) << "permits lost";
    EXPECT_EQ(sem.statistics().waiters, 0u);
}

aio::Task<> lock_world(unsigned seed) {
    Chaos chaos(seed);
    aio::Lock lock;
    int inside = 0;
    std::vector<aio::TaskHandle<>> workers;
    for (int w = 0; w < 30; ++w) {
        workers.push_back(
            aio::create_task([](aio::Lock& lock, Chaos& c, int& inside) -> aio::Task<> {
                struct Inside {
                    int& n;
                    explicit Inside(int& n) : n(n) { EXPECT_EQ(++n, 1) << "two holders at once"; }
                    ~Inside() { --n; }
                };
                for (int i = 0; i < 10; ++i) {
                    auto held = co_await lock.scoped();
                    Inside in(inside);
                    co_await aio::sleep(c.some_time(5));
                }
            }(lock, chaos, inside)));
    }
    co_await cancel_randomly(chaos, workers, 60);
    co_await settle(workers);
    EXPECT_FALSE(lock.locked()) << "the lock was lost";
    EXPECT_EQ(lock.statistics().waiters, 0u);
}

aio::Task<> event_world(unsigned seed) {
    Chaos chaos(seed);
    aio::Event ev;
    int woke = 0;
    std::vector<aio::TaskHandle<>> waiters;
    for (int w = 0; w < 50; ++w) {
        waiters.push_back(aio::create_task([](aio::Event& ev, int& woke) -> aio::Task<> {
            co_await ev.wait();
            ++woke;
        }(ev, woke)));
    }
    auto setter = aio::create_task([](aio::Event& ev, Chaos& c) -> aio::Task<> {
        co_await aio::sleep(c.some_time(200));
        ev.set();
    }(ev, chaos));
    co_await cancel_randomly(chaos, waiters, 20);
    co_await setter;
    co_await settle(waiters);
    int cancelled = 0;
    for (auto& w : waiters)
        cancelled += w.cancelled();
    EXPECT_EQ(woke + cancelled, 50) << "a waiter never woke";
    EXPECT_EQ(ev.statistics().waiters, 0u);
}

aio::Task<> condition_world(unsigned seed) {
    Chaos chaos(seed);
    aio::Condition cond;
    int tokens = 0, taken = 0, produced = 0;
    std::vector<aio::TaskHandle<>> consumers;
    for (int c = 0; c < 20; ++c) {
        consumers.push_back(
            aio::create_task([](aio::Condition& cond, int& tokens, int& taken) -> aio::Task<> {
                while (true) {
                    auto held = co_await cond.scoped();
                    co_await cond.wait_for([&] { return tokens > 0; });
                    --tokens;
                    ++taken;
                }
            }(cond, tokens, taken)));
    }
    auto producer = aio::create_task(
        [](aio::Condition& cond, Chaos& c, int& tokens, int& produced) -> aio::Task<> {
            for (int i = 0; i < 100; ++i) {
                co_await aio::sleep(c.some_time(5));
                auto held = co_await cond.scoped();
                ++tokens;
                ++produced;
                cond.notify(1);
            }
        }(cond, chaos, tokens, produced));
    co_await cancel_randomly(chaos, consumers, 15);
    co_await producer;
    co_await aio::sleep(1h);  // quiescence
    EXPECT_FALSE(tokens > 0 && cond.statistics().waiters > 0) << "a notification was lost";
    EXPECT_EQ(taken + tokens, produced);
    EXPECT_FALSE(cond.locked());
    for (auto& c : consumers)
        c.cancel();
    co_await settle(consumers);
}

aio::Task<> barrier_world(unsigned seed) {
    Chaos chaos(seed);
    aio::Barrier barrier(3);
    std::vector<aio::TaskHandle<>> parties;
    for (int p = 0; p < 9; ++p) {
        parties.push_back(aio::create_task([](aio::Barrier& b, Chaos& c) -> aio::Task<> {
            for (int i = 0; i < 5; ++i) {
                co_await aio::sleep(c.some_time(5));
                try {
                    co_await b.wait();
                } catch (const aio::BrokenBarrierError&) {
                }
            }
        }(barrier, chaos)));
    }
    auto breaker = aio::create_task([](aio::Barrier& b, Chaos& c) -> aio::Task<> {
        co_await aio::sleep(c.some_time(100));
        co_await b.reset();
        co_await aio::sleep(1h);
        co_await b.abort();  // releases whoever still waits for a full party
    }(barrier, chaos));
    co_await cancel_randomly(chaos, parties, 10);
    co_await settle(parties);
    co_await breaker;
    // Still consistent: after a reset a full party passes.
    co_await barrier.reset();
    auto [a, b, c] = co_await aio::gather(barrier.wait(), barrier.wait(), barrier.wait());
    EXPECT_EQ(a + b + c, 3u);
}

AIO_TEST(PrimitivesStress, Queue) {
    for (unsigned seed = 1; seed <= 20; ++seed)
        co_await queue_world(seed);
}
AIO_TEST(PrimitivesStress, Semaphore) {
    for (unsigned seed = 1; seed <= 20; ++seed)
        co_await semaphore_world(seed, 3);
}
AIO_TEST(PrimitivesStress, Lock) {
    for (unsigned seed = 1; seed <= 20; ++seed)
        co_await lock_world(seed);
}
AIO_TEST(PrimitivesStress, Event) {
    for (unsigned seed = 1; seed <= 20; ++seed)
        co_await event_world(seed);
}
AIO_TEST(PrimitivesStress, Condition) {
    for (unsigned seed = 1; seed <= 20; ++seed)
        co_await condition_world(seed);
}
AIO_TEST(PrimitivesStress, Barrier) {
    for (unsigned seed = 1; seed <= 20; ++seed)
        co_await barrier_world(seed);
}

}  // namespace
