// aio::Runner (asyncio.Runner): several runs on one loop, close(), and Ctrl-C per run.
#include <signal.h>

#include <string>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

void (*disposition(int sig))(int) {
    struct sigaction current {};
    ::sigaction(sig, nullptr, &current);
    return current.sa_handler;
}

aio::Task<> append_after(aio::Duration d, std::vector<std::string>& out, std::string what) {
    co_await aio::sleep(d);
    out.push_back(std::move(what));
}

// A task the first run leaves behind goes on in the second, on the same loop; close() cancels
// what is still left, and the runner then refuses to run.
TEST(Runner, SeveralRunsShareOneLoop) {
    std::vector<std::string> out;
    aio::TaskHandle<> leftover, never;
    aio::Runner runner(aio::LoopOptions{.virtual_time = true});
    aio::EventLoop* first_loop = &runner.get_loop();
    auto first = [](std::vector<std::string>& o, aio::TaskHandle<>& left) -> aio::Task<int> {
        left = aio::create_task(append_after(2s, o, "leftover"));
        co_await aio::sleep(1s);
        o.push_back("first");
        co_return 1;
    };
    EXPECT_EQ(runner.run(first(out, leftover)), 1);
    EXPECT_FALSE(leftover.done());
    auto second = [](std::vector<std::string>& o, aio::TaskHandle<>& n) -> aio::Task<> {
        n = aio::create_task(append_after(1h, o, "never"));
        co_await aio::sleep(5s);
        o.push_back("second");
    };
    runner.run(second(out, never));
    EXPECT_EQ(&runner.get_loop(), first_loop);
    EXPECT_EQ(out, (std::vector<std::string>{"first", "leftover", "second"}));
    runner.close();
    EXPECT_TRUE(never.cancelled());
    runner.close();  // again: nothing
    EXPECT_THROW(runner.get_loop(), aio::RuntimeError);
    EXPECT_THROW(runner.run(append_after(1s, out, "closed")), aio::RuntimeError);
}

TEST(Runner, RunInsideARunningLoopIsAnError) {
    aio::Runner outer(aio::LoopOptions{.virtual_time = true});
    auto main = []() -> aio::Task<std::string> {
        aio::Runner inner;
        try {
            inner.run(aio::sleep(0s).as_task());
        } catch (const aio::RuntimeError& e) {
            co_return e.what();
        }
        co_return "ran";
    };
    EXPECT_EQ(outer.run(main()), "Runner.run() cannot be called from a running event loop");
}

// Ctrl-C cancels the run's main task (KeyboardInterrupt); between runs SIGINT is the
// program's again, and the runner runs on.
TEST(Runner, CtrlCIsPerRun) {
    aio::Runner runner;
    auto interrupted = []() -> aio::Task<> {
        ::raise(SIGINT);
        co_await aio::sleep(1h);
    };
    EXPECT_THROW(runner.run(interrupted()), aio::KeyboardInterrupt);
    EXPECT_EQ(disposition(SIGINT), SIG_DFL);
    auto plain = []() -> aio::Task<int> { co_return 3; };
    EXPECT_EQ(runner.run(plain()), 3);
    EXPECT_EQ(disposition(SIGINT), SIG_DFL);
}

}  // namespace
