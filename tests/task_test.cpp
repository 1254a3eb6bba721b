// Task<T>: laziness, chaining by symmetric transfer, exceptions, misuse, the coop budget.
#include <memory>
#include <string>
#include <vector>

#include "aio/testing.hpp"

using namespace std::chrono_literals;

namespace {

aio::Task<int> twice(int x) {
    co_return x * 2;
}
aio::Task<int> compute(int x, int y) {
    co_return co_await twice(x) + y;
}

struct Boom : std::runtime_error {
    Boom() : std::runtime_error("boom") {}
};
aio::Task<int> fails() {
    throw Boom();
    co_return 0;
}

AIO_TEST(Task, ChainsAndReturnsValues) {
    EXPECT_EQ(co_await compute(2, 3), 7);
}

AIO_TEST(Task, IsLazyUntilAwaited) {
    bool ran = false;
    auto body = [](bool* flag) -> aio::Task<> {
        *flag = true;
        co_return;
    };
    aio::Task<> t = body(&ran);
    co_await aio::sleep(0s);
    EXPECT_FALSE(ran);
    co_await std::move(t);
    EXPECT_TRUE(ran);
}

AIO_TEST(Task, PropagatesExceptions) {
    EXPECT_THROW(co_await fails(), Boom);
    bool caught = false;
    try {
        co_await compute(1, co_await fails());
    } catch (const Boom&) {
        caught = true;
    }
    EXPECT_TRUE(caught);
}

AIO_TEST(Task, MoveOnlyResults) {
    auto make = []() -> aio::Task<std::unique_ptr<int>> { co_return std::make_unique<int>(42); };
    std::unique_ptr<int> p = co_await make();
    AIO_ASSERT_TRUE(p);
    EXPECT_EQ(*p, 42);
}

AIO_TEST(Task, AwaitingTwiceIsAnError) {
    aio::Task<int> t = twice(4);
    EXPECT_EQ(co_await t, 8);
    EXPECT_THROW(co_await t, aio::InvalidStateError);
}

AIO_TEST(Task, AwaitingMovedFromIsAnError) {
    aio::Task<int> t = twice(4);
    aio::Task<int> u = std::move(t);
    EXPECT_FALSE(t.valid());
    EXPECT_THROW(co_await t, aio::InvalidStateError);
    EXPECT_EQ(co_await u, 8);
}

AIO_TEST(Task, UnawaitedTaskIsDestroyedWithoutRunning) {
    int runs = 0;
    auto body = [](int* n) -> aio::Task<> {
        ++*n;
        co_return;
    };
    { aio::Task<> t = body(&runs); }
    co_await aio::sleep(0s);
    EXPECT_EQ(runs, 0);
}

aio::Task<long> count_down(long n) {
    long total = 0;
    for (long i = 0; i < n; ++i)
        total += co_await twice(1);
    co_return total;
}

aio::Task<long> nest(int depth) {
    if (depth == 0) co_return 1;
    co_return 1 + co_await nest(depth - 1);
}

// A million awaits that all complete at once: symmetric transfer keeps the stack flat.
AIO_TEST(Task, MillionImmediateAwaitsDoNotGrowTheStack) {
    EXPECT_EQ(co_await count_down(1'000'000), 2'000'000);
}

// Deep recursion (each level a live frame) also runs without stack overflow.
AIO_TEST(Task, DeepNestingDoesNotGrowTheStack) {
    EXPECT_EQ(co_await nest(100'000), 100'001);
}

// asyncio's scheduling: a task switch happens only where a task really suspends. Awaits that
// complete at once (here a million of them, deep enough that builds without tail calls unwind
// the chain through the step's trampoline) never let another task in between.
AIO_TEST(Task, ImmediateAwaitsNeverYieldToOtherTasks) {
    std::vector<std::string> order;
    auto other = aio::create_task([](std::vector<std::string>& out) -> aio::Task<> {
        out.push_back("other");
        co_return;
    }(order));
    order.push_back("start");
    EXPECT_EQ(co_await count_down(1'000'000), 2'000'000);
    EXPECT_EQ(co_await nest(100'000), 100'001);
    aio::Queue<int> q;
    for (int i = 0; i < 1000; ++i)
        q.put_nowait(i);
    long sum = 0;
    for (int i = 0; i < 1000; ++i)
        sum += co_await q.get();
    EXPECT_EQ(sum, 999 * 1000 / 2);
    order.push_back("end");
    co_await other;
    EXPECT_EQ(order, (std::vector<std::string>{"start", "end", "other"}));
}

// A task whose awaits always complete at once lets the others run when the loop is given a coop
// budget (opt-in fairness, as Tokio's).
AIO_TEST_WITH_OPTIONS(Task, CoopBudgetPreventsStarvation, .coop_budget = 128) {
    bool other_ran = false;
    auto other = [](bool* flag) -> aio::Task<> {
        *flag = true;
        co_return;
    };
    auto handle = aio::create_task(other(&other_ran));
    long before_other = 0;
    for (long i = 0; i < 100'000 && !other_ran; ++i) {
        co_await twice(1);
        ++before_other;
    }
    EXPECT_TRUE(other_ran);
    EXPECT_LT(before_other, 1000);
    co_await handle;
}

TEST(Task, ANegativeCoopBudgetIsRejected) {
    EXPECT_THROW(aio::EventLoop(aio::LoopOptions{.coop_budget = -1}), std::invalid_argument);
}

}  // namespace
