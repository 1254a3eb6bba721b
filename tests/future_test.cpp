// Future<T>: callback-style results brought into coroutines.
#include <memory>
#include <string>
#include <vector>

#include "aio/testing.hpp"

using namespace std::chrono_literals;

namespace {

AIO_TEST(Future, SetByACallbackWakesTheAwaiter) {
    aio::Future<std::string> fut;
    aio::get_running_loop().call_later(2s, [fut]() mutable { fut.set_result("ready"); });
    EXPECT_FALSE(fut.done());
    EXPECT_EQ(co_await fut, "ready");
    EXPECT_EQ(fut.result(), "ready");
}

AIO_TEST(Future, VoidAndMoveOnly) {
    aio::Future<> v;
    v.set_result();
    co_await v;
    aio::Future<std::unique_ptr<int>> p;
    p.set_result(std::make_unique<int>(3));
    auto value = co_await std::move(p);
    EXPECT_EQ(*value, 3);
}

AIO_TEST(Future, ExceptionsAndMisuse) {
    aio::Future<int> fut;
    EXPECT_THROW(fut.result(), aio::InvalidStateError);
    fut.set_exception(std::make_exception_ptr(std::runtime_error("nope")));
    EXPECT_THROW(fut.set_result(1), aio::InvalidStateError);
    EXPECT_THROW(fut.set_exception(std::make_exception_ptr(std::runtime_error("x"))),
                 aio::InvalidStateError);
    EXPECT_THROW(co_await fut, std::runtime_error);
    EXPECT_FALSE(fut.cancel());
    aio::Future<int> other;
    EXPECT_THROW(other.set_exception(nullptr), std::invalid_argument);
    EXPECT_THROW(other.set_exception(std::make_exception_ptr(aio::CancelledError())),
                 std::invalid_argument);
    other.cancel();
}

AIO_TEST(Future, CancelWakesTheAwaiterWithCancelledError) {
    aio::Future<int> fut;
    aio::get_running_loop().call_later(1s, [fut]() mutable { fut.cancel("gone"); });
    try {
        co_await fut;
        ADD_FAILURE() << "no CancelledError";
    } catch (const aio::CancelledError& e) {
        EXPECT_EQ(e.message(), "gone");
    }
    EXPECT_TRUE(fut.cancelled());
    // The awaiting task itself was not cancelled.
    EXPECT_EQ(aio::current_task().cancelling(), 0);
}

AIO_TEST(Future, CancellingTheAwaitingTaskCancelsTheFuture) {
    aio::Future<int> fut;
    auto t =
        aio::create_task([](aio::Future<int> f) -> aio::Task<int> { co_return co_await f; }(fut));
    co_await aio::sleep(1s);
    t.cancel();
    EXPECT_THROW(co_await t, aio::CancelledError);
    EXPECT_TRUE(fut.cancelled());
}

AIO_TEST(Future, UnretrievedExceptionIsReported) {
    {
        aio::Future<int> fut;
        fut.set_exception(std::make_exception_ptr(std::logic_error("dropped")));
    }
    auto reports = aio::testing::take_reports();
    AIO_ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message, "Future exception was never retrieved");
    co_return;
}

AIO_TEST(Future, DoneCallbackSeesTheResult) {
    aio::Future<int> fut;
    int seen = 0;
    fut.add_done_callback([&](const aio::Future<int>& f) { seen = f.result(); });
    fut.set_result(9);
    EXPECT_EQ(seen, 0);
    co_await aio::sleep(0s);
    EXPECT_EQ(seen, 9);
}

// asyncio runs a done callback as a Handle: an exception in it is "Exception in callback ...",
// with no future of its own in the context.
AIO_TEST(Future, ExceptionInADoneCallbackIsACallbacksException) {
    aio::Future<int> fut;
    fut.add_done_callback([](const aio::Future<int>&) { throw std::logic_error("oops"); });
    fut.set_result(1);
    co_await aio::sleep(0s);
    auto reports = aio::testing::take_reports();
    AIO_ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message.rfind("Exception in callback done_callback(", 0), 0u)
        << reports[0].message;
    EXPECT_EQ(reports[0].future, "");
}

// asyncio's remove_done_callback: a callback still listed is taken off and never runs (1); one
// already run, already scheduled because the future is done, or removed before gives 0.
AIO_TEST(Future, RemoveDoneCallback) {
    aio::Future<int> fut;
    std::vector<std::string> ran;
    auto first = fut.add_done_callback([&](const aio::Future<int>&) { ran.push_back("first"); });
    auto second = fut.add_done_callback([&](const aio::Future<int>&) { ran.push_back("second"); });
    auto third = fut.add_done_callback([&](const aio::Future<int>&) { ran.push_back("third"); });
    EXPECT_EQ(fut.remove_done_callback(second), 1u);
    EXPECT_EQ(fut.remove_done_callback(second), 0u);
    fut.set_result(1);
    EXPECT_EQ(fut.remove_done_callback(third), 0u);  // scheduled: it runs anyway, as in asyncio
    co_await aio::sleep(0s);
    EXPECT_EQ(ran, (std::vector<std::string>{"first", "third"}));
    EXPECT_EQ(fut.remove_done_callback(first), 0u);

    auto task = aio::create_task(aio::sleep(1s));
    bool task_callback_ran = false;
    auto id = task.add_done_callback([&](const aio::TaskHandle<>&) { task_callback_ran = true; });
    EXPECT_EQ(task.remove_done_callback(id), 1u);
    co_await task;
    co_await aio::sleep(0s);
    EXPECT_FALSE(task_callback_ran);
}

TEST(Future, NeedsALoop) {
    EXPECT_THROW(aio::Future<int>(), aio::RuntimeError);
}

}  // namespace
