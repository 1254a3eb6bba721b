// JoinSet: tasks joined in completion order, cancelled with the set, detached, shut down; and
// race(): the first awaitable to finish wins, the others are cancelled and have ended.
#include <string>
#include <variant>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

using aio_test::after;
using aio_test::fail_after;
using aio_test::Failure;

AIO_TEST(JoinSet, JoinsInCompletionOrder) {
    aio::JoinSet<int> set;
    EXPECT_TRUE(set.empty());
    set.spawn(after(3s, 3));
    set.spawn(after(1s, 1));
    set.spawn(after(2s, 2));
    EXPECT_EQ(set.size(), 3u);
    EXPECT_FALSE(set.try_join_next());
    std::vector<int> got;
    while (auto task = co_await set.join_next())
        got.push_back(task->result());
    EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
    EXPECT_TRUE(set.empty());
    EXPECT_FALSE(co_await set.join_next());  // empty: at once
}

// A failed task comes back like the others; its exception is read from it, and the set goes on.
AIO_TEST(JoinSet, AFailureIsReadFromItsTask) {
    aio::JoinSet<int> set;
    set.spawn(fail_after(1s, "boom"));
    set.spawn(after(2s, 2));
    auto failed = co_await set.join_next();
    AIO_ASSERT_TRUE(failed.has_value());
    EXPECT_THROW(failed->result(), Failure);
    auto next = co_await set.join_next();
    AIO_ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->result(), 2);
    EXPECT_TRUE(aio::testing::take_reports().empty());
}

// Anything create_task takes can be spawned; a finished task waits in the set until joined.
AIO_TEST(JoinSet, SpawnsAnyAwaitableAndTryJoinNext) {
    aio::Queue<int> q;
    aio::JoinSet<int> set;
    set.spawn(q.get());
    q.put_nowait(5);
    co_await aio::sleep(1s);
    auto task = set.try_join_next();
    AIO_ASSERT_TRUE(task.has_value());
    EXPECT_EQ(task->result(), 5);
    aio::JoinSet<> sleepers;
    sleepers.spawn(aio::sleep(1s));
    EXPECT_TRUE((co_await sleepers.join_next()).has_value());
}

// Destroying the set cancels what still runs (Tokio aborts); detach_all lets it run on.
AIO_TEST(JoinSet, DestroyingCancelsAndDetachLetsRun) {
    aio::TaskHandle<int> kept, detached;
    {
        aio::JoinSet<int> set;
        kept = set.spawn(after(1s, 1));
        co_await aio::sleep(0s);
    }
    EXPECT_THROW(co_await kept, aio::CancelledError);
    {
        aio::JoinSet<int> set;
        detached = set.spawn(after(1s, 7));
        set.detach_all();
        EXPECT_TRUE(set.empty());
    }
    EXPECT_EQ(co_await detached, 7);
}

// Cancelling a join_next leaves the set as it was: the task comes back to the next one.
AIO_TEST(JoinSet, ACancelledJoinNextLosesNothing) {
    aio::JoinSet<int> set;
    set.spawn(after(5s, 5));
    EXPECT_THROW(co_await aio::wait_for(set.join_next(), 1s), aio::TimeoutError);
    EXPECT_EQ(set.size(), 1u);
    auto task = co_await set.join_next();
    AIO_ASSERT_TRUE(task.has_value());
    EXPECT_EQ(task->result(), 5);
}

// shutdown(): every task cancelled, and ended when it returns.
AIO_TEST(JoinSet, ShutdownCancelsAndWaits) {
    const auto start = aio::get_running_loop().time();
    aio::JoinSet<int> set;
    auto a = set.spawn(after(1s, 1));
    auto b = set.spawn(after(2s, 2));
    co_await aio::sleep(0s);
    co_await set.shutdown();
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
    EXPECT_TRUE(set.empty());
    EXPECT_EQ(aio::get_running_loop().time(), start);
}

aio::Task<std::string> word_after(aio::Duration d, std::string word,
                                  std::vector<std::string>& ended) {
    try {
        co_await aio::sleep(d);
    } catch (const aio::CancelledError&) {
        ended.push_back(word + " cancelled");
        throw;
    }
    co_return word;
}

// The first to finish wins, in the alternative of its position; the others are cancelled and
// have ended when race returns.
AIO_TEST(Race, TheFirstToFinishWinsAndTheRestEnd) {
    std::vector<std::string> ended;
    auto r = co_await aio::race(word_after(2s, "slow", ended), word_after(1s, "fast", ended),
                                aio::sleep(3s));
    AIO_ASSERT_EQ(r.index(), 1u);
    EXPECT_EQ(std::get<1>(r), "fast");
    EXPECT_EQ(ended, (std::vector<std::string>{"slow cancelled"}));
}

// Different types; a queue's get() that loses takes no item.
AIO_TEST(Race, AQueueGetThatLosesTakesNothing) {
    aio::Queue<int> q;
    auto r = co_await aio::race(q.get(), aio::sleep(1s));
    EXPECT_EQ(r.index(), 1u);
    q.put_nowait(4);
    auto again = co_await aio::race(q.get(), aio::sleep(1s));
    AIO_ASSERT_EQ(again.index(), 0u);
    EXPECT_EQ(std::get<0>(again), 4);
    EXPECT_TRUE(q.empty());
}

// The winner's exception is the race's; finishing in the same step, the first argument wins.
AIO_TEST(Race, TheWinnersExceptionAndTies) {
    EXPECT_THROW(co_await aio::race(fail_after(1s, "lost"), after(2s, 2)), Failure);
    auto tie = co_await aio::race(after(1s, 1), after(1s, 2));
    EXPECT_EQ(tie.index(), 0u);
    EXPECT_EQ(std::get<0>(tie), 1);
}

// Cancelling the race cancels every contender.
AIO_TEST(Race, CancellingTheRaceCancelsAll) {
    std::vector<std::string> ended;
    auto racing =
        aio::create_task(aio::race(word_after(2s, "a", ended), word_after(3s, "b", ended)));
    co_await aio::sleep(1s);
    racing.cancel();
    EXPECT_THROW(co_await racing, aio::CancelledError);
    EXPECT_EQ(ended, (std::vector<std::string>{"a cancelled", "b cancelled"}));
}

}  // namespace
