// Tasks: scheduling order, names, cancellation as asyncio 3.11+, done callbacks, reporting.
#include <memory>
#include <string>
#include <vector>

#include "aio/testing.hpp"

using namespace std::chrono_literals;

namespace {

aio::Task<> record(std::vector<std::string>* log, std::string name, aio::Duration d) {
    log->push_back(name + " start");
    co_await aio::sleep(d);
    log->push_back(name + " end");
}

AIO_TEST(Tasks, RunInCreationOrder) {
    std::vector<std::string> log;
    auto a = aio::create_task(record(&log, "a", 0s));
    auto b = aio::create_task(record(&log, "b", 0s));
    auto c = aio::create_task(record(&log, "c", 0s));
    log.push_back("main");
    co_await a;
    co_await b;
    co_await c;
    EXPECT_EQ(log, (std::vector<std::string>{"main", "a start", "b start", "c start", "a end",
                                             "b end", "c end"}));
}

AIO_TEST(Tasks, AwaitCreateTaskDirectly) {
    auto one = []() -> aio::Task<int> { co_return 1; };
    long sum = 0;
    for (int i = 0; i < 1000; ++i)
        sum += co_await aio::create_task(one());
    EXPECT_EQ(sum, 1000);
}

AIO_TEST(Tasks, ResultAndState) {
    auto t = aio::create_task([]() -> aio::Task<int> {
        co_await aio::sleep(1s);
        co_return 5;
    }());
    EXPECT_FALSE(t.done());
    EXPECT_THROW(t.result(), aio::InvalidStateError);
    EXPECT_THROW(t.exception(), aio::InvalidStateError);
    EXPECT_EQ(co_await t, 5);
    EXPECT_TRUE(t.done());
    EXPECT_FALSE(t.cancelled());
    EXPECT_EQ(t.result(), 5);
    EXPECT_EQ(t.exception(), nullptr);
    EXPECT_EQ(co_await t, 5);  // a task can be awaited any number of times
}

AIO_TEST(Tasks, DefaultAndCustomNames) {
    auto body = []() -> aio::Task<> { co_return; };
    auto a = aio::create_task(body());
    auto b = aio::create_task(body(), "worker");
    EXPECT_EQ(a.get_name().rfind("Task-", 0), 0u);
    EXPECT_EQ(b.get_name(), "worker");
    b.set_name("renamed");
    EXPECT_EQ(b.get_name(), "renamed");
    EXPECT_EQ(aio::current_task().get_name().rfind("Task-", 0), 0u);
    co_await a;
    co_await b;
}

AIO_TEST(Tasks, CancelWhileSleeping) {
    bool cleaned_up = false;
    auto t = aio::create_task([](bool* flag) -> aio::Task<> {
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError& e) {
            *flag = e.message() == "stop now";
            throw;
        }
    }(&cleaned_up));
    co_await aio::sleep(1s);
    EXPECT_TRUE(t.cancel("stop now"));
    EXPECT_FALSE(t.done());  // cancellation is delivered when the task next runs
    EXPECT_EQ(t.cancelling(), 1);
    EXPECT_THROW(co_await t, aio::CancelledError);
    EXPECT_TRUE(t.cancelled());
    EXPECT_TRUE(cleaned_up);
    EXPECT_FALSE(t.cancel());  // already done
    EXPECT_THROW(t.result(), aio::CancelledError);
    EXPECT_THROW(t.exception(), aio::CancelledError);
}

AIO_TEST(Tasks, CancelledBeforeStartingNeverRuns) {
    bool ran = false;
    auto t = aio::create_task([](bool* flag) -> aio::Task<> {
        *flag = true;
        co_return;
    }(&ran));
    t.cancel();
    EXPECT_THROW(co_await t, aio::CancelledError);
    EXPECT_FALSE(ran);
    EXPECT_TRUE(t.cancelled());
}

AIO_TEST(Tasks, CancellationCanBeSuppressed) {
    auto t = aio::create_task([]() -> aio::Task<int> {
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
            aio::current_task().uncancel();
        }
        co_await aio::sleep(1s);  // no pending cancel: this sleep completes
        co_return 3;
    }());
    co_await aio::sleep(0s);
    t.cancel();
    EXPECT_EQ(co_await t, 3);
    EXPECT_FALSE(t.cancelled());
    EXPECT_EQ(t.cancelling(), 0);
}

AIO_TEST(Tasks, SelfCancelTakesEffectAtTheNextSuspension) {
    std::vector<std::string> log;
    auto t = aio::create_task([](std::vector<std::string>* log) -> aio::Task<> {
        aio::current_task().cancel();
        log->push_back("still running");
        co_await aio::sleep(1s);
        log->push_back("not reached");
    }(&log));
    EXPECT_THROW(co_await t, aio::CancelledError);
    EXPECT_EQ(log, std::vector<std::string>{"still running"});
}

AIO_TEST(Tasks, CancelAfterWakeUpStillRaisesAtTheAwait) {
    // Both sleeps end at the same instant; the canceller's timer was set first, so it runs first
    // and cancels t after t's sleep completed but before t resumed: asyncio raises
    // CancelledError from that await anyway.
    auto target = std::make_shared<aio::TaskHandle<>>();
    auto canceller = aio::create_task([](std::shared_ptr<aio::TaskHandle<>> t) -> aio::Task<> {
        co_await aio::sleep(1s);
        EXPECT_TRUE(t->cancel());
    }(target));
    bool resumed = false;
    *target = aio::create_task([](bool* flag) -> aio::Task<> {
        co_await aio::sleep(1s);
        *flag = true;
    }(&resumed));
    EXPECT_THROW(co_await *target, aio::CancelledError);
    EXPECT_FALSE(resumed);
    co_await canceller;
}

AIO_TEST(Tasks, ReturningWithACancelPendingEndsCancelled) {
    auto t = aio::create_task([]() -> aio::Task<int> {
        aio::current_task().cancel();
        co_return 1;
    }());
    EXPECT_THROW(co_await t, aio::CancelledError);
    EXPECT_TRUE(t.cancelled());
}

AIO_TEST(Tasks, CancellingTheAwaiterCancelsTheAwaitedTask) {
    auto inner = aio::create_task([]() -> aio::Task<> { co_await aio::sleep(1h); }());
    auto outer =
        aio::create_task([](aio::TaskHandle<> inner) -> aio::Task<> { co_await inner; }(inner));
    co_await aio::sleep(1s);
    outer.cancel();
    EXPECT_THROW(co_await outer, aio::CancelledError);
    EXPECT_TRUE(inner.cancelled());
}

AIO_TEST(Tasks, DroppedHandleKeepsRunning) {
    bool finished = false;
    aio::create_task([](bool* flag) -> aio::Task<> {
        co_await aio::sleep(5s);
        *flag = true;
    }(&finished));
    co_await aio::sleep(10s);
    EXPECT_TRUE(finished);
}

AIO_TEST(Tasks, UnretrievedExceptionIsReported) {
    aio::create_task(
        []() -> aio::Task<> {
            throw std::runtime_error("lost");
            co_return;
        }(),
        "careless");
    co_await aio::sleep(1s);
    auto reports = aio::testing::take_reports();
    AIO_ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message, "Task exception was never retrieved");
    EXPECT_EQ(reports[0].future, "careless");
    EXPECT_EQ(aio::describe(reports[0].exception), "std::runtime_error: lost");
}

AIO_TEST(Tasks, RetrievedExceptionIsNotReported) {
    {
        auto t = aio::create_task([]() -> aio::Task<> {
            throw std::runtime_error("seen");
            co_return;
        }());
        co_await aio::sleep(1s);
        EXPECT_NE(t.exception(), nullptr);
    }
    co_await aio::sleep(1s);
    EXPECT_TRUE(aio::testing::take_reports().empty());
}

AIO_TEST(Tasks, DoneCallbacksRunSoonAfterCompletionInOrder) {
    std::vector<std::string> log;
    auto t = aio::create_task([]() -> aio::Task<int> { co_return 4; }());
    t.add_done_callback([&](const aio::TaskHandle<int>& h) {
        log.push_back("first " + std::to_string(h.result()));
    });
    t.add_done_callback([&](const aio::TaskHandle<int>&) { log.push_back("second"); });
    co_await t;  // the callbacks were registered first, so they ran first (as in asyncio)
    EXPECT_EQ(log, (std::vector<std::string>{"first 4", "second"}));
    t.add_done_callback([&](const aio::TaskHandle<int>&) { log.push_back("late"); });
    co_await aio::sleep(0s);
    EXPECT_EQ(log.back(), "late");
}

AIO_TEST(Tasks, EagerTasksRunAtOnce) {
    std::vector<std::string> log;
    auto t = aio::create_task(
        [](std::vector<std::string>* log) -> aio::Task<int> {
            log->push_back("eager start");
            co_await aio::sleep(1s);
            log->push_back("eager end");
            co_return 1;
        }(&log),
        aio::TaskOptions{.name = "eager", .eager = true});
    log.push_back("after create_task");
    auto done_at_once = aio::create_task([]() -> aio::Task<int> { co_return 2; }(),
                                         aio::TaskOptions{.name = "", .eager = true});
    EXPECT_TRUE(done_at_once.done());
    EXPECT_EQ(done_at_once.result(), 2);
    EXPECT_EQ(co_await t, 1);
    EXPECT_EQ(log, (std::vector<std::string>{"eager start", "after create_task", "eager end"}));
}

// loop.set_task_factory(asyncio.eager_task_factory): every task starts eagerly, gather's too.
AIO_TEST(Tasks, EagerTaskFactory) {
    aio::EventLoop& loop = aio::get_running_loop();
    std::vector<std::string> log;
    auto note = [](std::vector<std::string>& out, std::string what) -> aio::Task<> {
        out.push_back(what);
        co_return;
    };
    loop.set_task_factory(aio::eager_task_factory);
    EXPECT_TRUE(loop.eager_tasks());
    auto a = aio::create_task(note(log, "a"));
    EXPECT_TRUE(a.done());
    log.push_back("after a");
    loop.set_task_factory(nullptr);
    auto b = aio::create_task(note(log, "b"));
    log.push_back("after b");
    co_await b;
    EXPECT_EQ(log, (std::vector<std::string>{"a", "after a", "after b", "b"}));
}

AIO_TEST(Tasks, CurrentAndAllTasks) {
    auto me = aio::current_task();
    AIO_ASSERT_TRUE(me);
    auto t = aio::create_task([]() -> aio::Task<> { co_await aio::sleep(1s); }(), "child");
    auto tasks = aio::all_tasks();
    AIO_ASSERT_EQ(tasks.size(), 2u);
    EXPECT_EQ(tasks[0], me);
    EXPECT_EQ(tasks[1].get_name(), "child");
    co_await t;
    EXPECT_EQ(aio::all_tasks().size(), 1u);
}

AIO_TEST(Tasks, CreateTaskRefusesBadInput) {
    aio::Task<> empty;
    EXPECT_THROW(aio::create_task(std::move(empty)), aio::InvalidStateError);
    auto body = []() -> aio::Task<> { co_return; };
    aio::Task<> done = body();
    co_await done;
    EXPECT_THROW(aio::create_task(std::move(done)), aio::InvalidStateError);
    aio::TaskHandle<> none;
    EXPECT_THROW(none.done(), aio::InvalidStateError);
}

TEST(Run, ReturnsMainsValueAndCancelsLeftovers) {
    static bool leftover_cancelled = false;
    auto main = []() -> aio::Task<int> {
        aio::create_task([]() -> aio::Task<> {
            try {
                co_await aio::sleep(1h);
            } catch (const aio::CancelledError&) {
                leftover_cancelled = true;
                throw;
            }
        }());
        co_await aio::sleep(1s);
        co_return 42;
    };
    EXPECT_EQ(aio::testing::run_virtual(main()), 42);
    EXPECT_TRUE(leftover_cancelled);
}

TEST(Run, RethrowsMainsException) {
    auto main = []() -> aio::Task<> {
        co_await aio::sleep(0s);
        throw std::out_of_range("main failed");
    };
    EXPECT_THROW(aio::run(main()), std::out_of_range);
}

TEST(Run, CancelledErrorIsNotAStdException) {
    auto main = []() -> aio::Task<> {
        aio::current_task().cancel();
        co_await aio::sleep(0s);
    };
    bool caught_as_std = false, caught_as_cancelled = false;
    try {
        aio::run(main());
    } catch (const std::exception&) {
        caught_as_std = true;
    } catch (const aio::CancelledError&) {
        caught_as_cancelled = true;
    }
    EXPECT_FALSE(caught_as_std);
    EXPECT_TRUE(caught_as_cancelled);
}

// asyncio: two cancel() calls before a waiting task runs again deliver one CancelledError, with
// the first request's message, and the second request does not come back at the next await.
aio::Task<std::string> ride_out_a_cancel(aio::Task<> waiting) {
    std::string message = "no error";
    try {
        co_await std::move(waiting);
    } catch (const aio::CancelledError& e) {
        message = e.message();
    }
    co_await aio::sleep(1s);  // a second CancelledError would come here
    co_return message;
}

aio::Task<> cancel_twice(aio::Task<> waiting) {
    auto t = aio::create_task(ride_out_a_cancel(std::move(waiting)));
    co_await aio::sleep(0s);  // it waits now
    t.cancel("first");
    t.cancel("second");
    EXPECT_EQ(co_await t, "first");
    EXPECT_EQ(t.cancelling(), 2);
}

AIO_TEST(Tasks, TwoCancelsInOneStepDeliverOneCancelledError) {
    co_await cancel_twice([]() -> aio::Task<> { co_await aio::sleep(1h); }());
    aio::Lock lock;
    co_await lock.acquire();
    co_await cancel_twice([](aio::Lock& l) -> aio::Task<> { co_await l.acquire(); }(lock));
    aio::Queue<int> q;
    co_await cancel_twice([](aio::Queue<int>& q) -> aio::Task<> { (void)co_await q.get(); }(q));
    aio::Event event;
    co_await cancel_twice([](aio::Event& e) -> aio::Task<> { co_await e.wait(); }(event));
    aio::Future<int> never;
    co_await cancel_twice([](aio::Future<int> f) -> aio::Task<> { (void)co_await f; }(never));
    lock.release();
}

}  // namespace
