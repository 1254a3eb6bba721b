// Event, Lock, Semaphore, BoundedSemaphore, Condition, Barrier: asyncio's documented behaviour.
#include <optional>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

AIO_TEST(Event, WakesEveryWaiterAndStaysSet) {
    aio::Event ev;
    std::vector<int> woke;
    auto waiter = [](aio::Event& ev, std::vector<int>& woke, int i) -> aio::Task<> {
        co_await ev.wait();
        woke.push_back(i);
    };
    auto a = aio::create_task(waiter(ev, woke, 1));
    auto b = aio::create_task(waiter(ev, woke, 2));
    co_await aio::sleep(1s);
    EXPECT_TRUE(woke.empty());
    EXPECT_EQ(ev.statistics().waiters, 2u);
    ev.set();
    EXPECT_TRUE(ev.is_set());
    co_await a;
    co_await b;
    EXPECT_EQ(woke, (std::vector<int>{1, 2}));
    co_await ev.wait();  // set: returns at once
    ev.clear();
    EXPECT_FALSE(ev.is_set());
    EXPECT_EQ(ev.statistics().waiters, 0u);
}

AIO_TEST(Event, CancelledWaiterLeavesNoTrace) {
    aio::Event ev;
    auto t = aio::create_task(ev.wait());
    co_await aio::sleep(1s);
    t.cancel();
    EXPECT_THROW(co_await t, aio::CancelledError);
    EXPECT_EQ(ev.statistics().waiters, 0u);
    ev.set();
}

aio::Task<> hold(aio::Lock& lock, std::vector<std::string>& log, std::string name,
                 aio::Duration d) {
    co_await lock.acquire();
    log.push_back(name + " in");
    co_await aio::sleep(d);
    log.push_back(name + " out");
    lock.release();
}

AIO_TEST(Lock, MutualExclusionInFifoOrder) {
    aio::Lock lock;
    std::vector<std::string> log;
    auto a = aio::create_task(hold(lock, log, "a", 2s));
    auto b = aio::create_task(hold(lock, log, "b", 1s));
    auto c = aio::create_task(hold(lock, log, "c", 1s));
    co_await aio::gather(a, b, c);
    EXPECT_EQ(log, (std::vector<std::string>{"a in", "a out", "b in", "b out", "c in", "c out"}));
    EXPECT_FALSE(lock.locked());
}

AIO_TEST(Lock, ReleaseUnlockedIsAnError) {
    aio::Lock lock;
    EXPECT_THROW(lock.release(), aio::RuntimeError);
    co_return;
}

AIO_TEST(Lock, ScopedGuardReleases) {
    aio::Lock lock;
    {
        auto held = co_await lock.scoped();
        EXPECT_TRUE(lock.locked());
    }
    EXPECT_FALSE(lock.locked());
}

AIO_TEST(Lock, NewcomerDoesNotJumpTheQueue) {
    // The lock is released while a waiter is queued: a task arriving before the waiter runs must
    // queue behind it (asyncio's fairness), not take the lock.
    aio::Lock lock;
    std::vector<std::string> log;
    co_await lock.acquire();
    auto waiter = aio::create_task(hold(lock, log, "waiter", 0s));
    co_await aio::sleep(0s);
    lock.release();
    auto newcomer = aio::create_task(hold(lock, log, "newcomer", 0s));
    co_await aio::gather(waiter, newcomer);
    EXPECT_EQ(log,
              (std::vector<std::string>{"waiter in", "waiter out", "newcomer in", "newcomer out"}));
}

AIO_TEST(Lock, WokenThenCancelledPassesTheLockOn) {
    aio::Lock lock;
    std::vector<std::string> log;
    co_await lock.acquire();
    auto first = aio::create_task(hold(lock, log, "first", 0s));
    auto second = aio::create_task(hold(lock, log, "second", 0s));
    co_await aio::sleep(0s);
    lock.release();  // wakes `first`...
    first.cancel();  // ...which is cancelled before it runs
    EXPECT_THROW(co_await first, aio::CancelledError);
    co_await second;  // the lock went to `second`; nothing is stuck
    EXPECT_EQ(log, (std::vector<std::string>{"second in", "second out"}));
    EXPECT_FALSE(lock.locked());
}

AIO_TEST(Semaphore, LimitsConcurrency) {
    aio::Semaphore sem(2);
    int inside = 0, most = 0;
    auto worker = [](aio::Semaphore& sem, int& inside, int& most) -> aio::Task<> {
        co_await sem.acquire();
        most = std::max(most, ++inside);
        co_await aio::sleep(1s);
        --inside;
        sem.release();
    };
    std::vector<aio::Task<>> tasks;
    for (int i = 0; i < 10; ++i)
        tasks.push_back(worker(sem, inside, most));
    auto& loop = aio::get_running_loop();
    const auto start = loop.time();
    co_await aio::gather(std::move(tasks));
    EXPECT_EQ(most, 2);
    EXPECT_EQ(loop.time() - start, 5s);
    EXPECT_EQ(sem.value(), 2);
}

AIO_TEST(Semaphore, WokenThenCancelledGivesThePermitBack) {
    aio::Semaphore sem(0);
    auto a = aio::create_task(sem.acquire());
    auto b = aio::create_task(sem.acquire());
    co_await aio::sleep(0s);
    sem.release();  // the permit goes to a...
    a.cancel();     // ...cancelled before it runs: b must get it
    EXPECT_THROW(co_await a, aio::CancelledError);
    co_await b;
    EXPECT_EQ(sem.value(), 0);
    EXPECT_EQ(sem.statistics().waiters, 0u);
}

TEST(Semaphore, NegativeValueIsRefused) {
    EXPECT_THROW(aio::Semaphore(-1), std::invalid_argument);
}

AIO_TEST(BoundedSemaphore, ReleasePastTheBoundThrows) {
    aio::BoundedSemaphore sem(1);
    co_await sem.acquire();
    sem.release();
    EXPECT_THROW(sem.release(), std::invalid_argument);
}

AIO_TEST(Condition, NotifyWakesWaitersInOrder) {
    aio::Condition cond;
    std::vector<int> woke;
    auto waiter = [](aio::Condition& cond, std::vector<int>& woke, int i) -> aio::Task<> {
        auto held = co_await cond.scoped();
        co_await cond.wait();
        EXPECT_TRUE(cond.locked());  // the lock is held again after wait()
        woke.push_back(i);
    };
    std::vector<aio::TaskHandle<>> ts;
    for (int i = 0; i < 3; ++i)
        ts.push_back(aio::create_task(waiter(cond, woke, i)));
    co_await aio::sleep(1s);
    {
        auto held = co_await cond.scoped();
        cond.notify(2);
    }
    co_await aio::sleep(1s);
    EXPECT_EQ(woke, (std::vector<int>{0, 1}));
    {
        auto held = co_await cond.scoped();
        cond.notify_all();
    }
    co_await aio::gather(std::move(ts));
    EXPECT_EQ(woke, (std::vector<int>{0, 1, 2}));
}

AIO_TEST(Condition, WaitForPredicate) {
    aio::Condition cond;
    int value = 0;
    auto setter = [](aio::Condition& cond, int& value) -> aio::Task<> {
        for (int i = 1; i <= 5; ++i) {
            co_await aio::sleep(1s);
            auto held = co_await cond.scoped();
            value = i;
            cond.notify_all();
        }
    };
    auto s = aio::create_task(setter(cond, value));
    {
        auto held = co_await cond.scoped();
        EXPECT_TRUE(co_await cond.wait_for([&] { return value >= 3; }));
        EXPECT_EQ(value, 3);
        // The predicate's own value comes back, as asyncio's wait_for returns it.
        auto even = co_await cond.wait_for(
            [&] { return value % 2 == 0 ? std::optional<int>(value) : std::nullopt; });
        EXPECT_EQ(even, std::optional<int>(4));
    }
    co_await s;
}

AIO_TEST(Condition, MisuseIsAnError) {
    aio::Condition cond;
    EXPECT_THROW(co_await cond.wait(), aio::RuntimeError);
    EXPECT_THROW(cond.notify(), aio::RuntimeError);
}

AIO_TEST(Condition, NotifiedThenCancelledPassesTheNotificationOn) {
    aio::Condition cond;
    std::vector<int> woke;
    auto waiter = [](aio::Condition& cond, std::vector<int>& woke, int i) -> aio::Task<> {
        auto held = co_await cond.scoped();
        co_await cond.wait();
        woke.push_back(i);
    };
    auto a = aio::create_task(waiter(cond, woke, 1));
    auto b = aio::create_task(waiter(cond, woke, 2));
    co_await aio::sleep(1s);
    {
        auto held = co_await cond.scoped();
        cond.notify(1);  // a is notified...
        a.cancel();      // ...and cancelled: b gets the notification
    }
    EXPECT_THROW(co_await a, aio::CancelledError);
    co_await b;
    EXPECT_EQ(woke, std::vector<int>{2});
    EXPECT_FALSE(cond.locked());
}

AIO_TEST(Barrier, ReleasesWhenAllArrive) {
    aio::Barrier barrier(3);
    std::vector<std::size_t> indexes;
    auto party = [](aio::Barrier& b, std::vector<std::size_t>& out,
                    aio::Duration d) -> aio::Task<> {
        co_await aio::sleep(d);
        out.push_back(co_await b.wait());
    };
    auto& loop = aio::get_running_loop();
    const auto start = loop.time();
    co_await aio::gather(party(barrier, indexes, 1s), party(barrier, indexes, 3s),
                         party(barrier, indexes, 2s));
    EXPECT_EQ(loop.time() - start, 3s);
    std::sort(indexes.begin(), indexes.end());
    EXPECT_EQ(indexes, (std::vector<std::size_t>{0, 1, 2}));
    EXPECT_EQ(barrier.n_waiting(), 0u);
    // Reusable: a second round works the same.
    indexes.clear();
    co_await aio::gather(party(barrier, indexes, 0s), party(barrier, indexes, 0s),
                         party(barrier, indexes, 1s));
    EXPECT_EQ(indexes.size(), 3u);
}

AIO_TEST(Barrier, AbortBreaksWaiters) {
    aio::Barrier barrier(3);
    auto t = aio::create_task(barrier.wait());
    co_await aio::sleep(1s);
    EXPECT_EQ(barrier.n_waiting(), 1u);
    co_await barrier.abort();
    EXPECT_THROW(co_await t, aio::BrokenBarrierError);
    EXPECT_TRUE(barrier.broken());
    EXPECT_THROW(co_await barrier.wait(), aio::BrokenBarrierError);
}

AIO_TEST(Barrier, ResetBreaksCurrentWaitersOnly) {
    aio::Barrier barrier(2);
    auto t = aio::create_task(barrier.wait());
    co_await aio::sleep(1s);
    co_await barrier.reset();
    EXPECT_THROW(co_await t, aio::BrokenBarrierError);
    EXPECT_FALSE(barrier.broken());
    auto [i, j] = co_await aio::gather(barrier.wait(), barrier.wait());
    EXPECT_EQ(i + j, 1u);
}

TEST(Barrier, ZeroPartiesIsRefused) {
    EXPECT_THROW(aio::Barrier(0), std::invalid_argument);
}

}  // namespace

// `async with sem:` — the permit is held for the scope, and given back when it ends, also by an
// exception.
AIO_TEST(Semaphore, ScopedHoldsAPermitForTheScope) {
    aio::Semaphore sem(2);
    {
        auto a = co_await sem.scoped();
        auto b = co_await sem.scoped();
        EXPECT_EQ(sem.value(), 0);
        EXPECT_TRUE(sem.locked());
    }
    EXPECT_EQ(sem.value(), 2);
    try {
        auto held = co_await sem.scoped();
        throw std::runtime_error("inside");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(sem.value(), 2);
    aio::BoundedSemaphore bounded(1);
    { auto held = co_await bounded.scoped(); }
    EXPECT_THROW(bounded.release(), std::invalid_argument);  // the guard gave back exactly one
}
