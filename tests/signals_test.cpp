// Signals: handlers run as loop callbacks, waiting for a signal, dispositions restored, bad
// signals refused, one loop per signal, and aio::run's SIGINT (and interrupt_on) behaviour.
#include <signal.h>

#include <csignal>
#include <stdexcept>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

void (*disposition(int sig))(int) {
    struct sigaction a {};
    ::sigaction(sig, nullptr, &a);
    return a.sa_handler;
}

AIO_TEST(Signals, HandlerRunsAsALoopCallback) {
    int calls = 0;
    aio::Event called;
    aio::add_signal_handler(SIGUSR1, [&] {
        ++calls;
        called.set();
    });
    ::raise(SIGUSR1);
    EXPECT_EQ(calls, 0);  // not inside the signal handler: later, on the loop
    co_await called.wait();
    EXPECT_EQ(calls, 1);
    called.clear();
    ::raise(SIGUSR1);
    co_await called.wait();
    EXPECT_EQ(calls, 2);

    aio::add_signal_handler(SIGUSR1, [&] {  // replaces the first
        calls += 100;
        called.set();
    });
    called.clear();
    ::raise(SIGUSR1);
    co_await called.wait();
    EXPECT_EQ(calls, 102);
    EXPECT_TRUE(aio::remove_signal_handler(SIGUSR1));
    EXPECT_FALSE(aio::remove_signal_handler(SIGUSR1));
    EXPECT_EQ(disposition(SIGUSR1), SIG_DFL);
}

AIO_TEST(Signals, PreviousDispositionIsRestored) {
    ::signal(SIGUSR2, SIG_IGN);
    aio::add_signal_handler(SIGUSR2, [] {});
    EXPECT_NE(disposition(SIGUSR2), SIG_IGN);
    aio::remove_signal_handler(SIGUSR2);
    EXPECT_EQ(disposition(SIGUSR2), SIG_IGN);
    ::signal(SIGUSR2, SIG_DFL);
    co_return;
}

AIO_TEST(Signals, BadSignalsAreRefused) {
    EXPECT_THROW(aio::add_signal_handler(SIGKILL, [] {}), std::invalid_argument);
    EXPECT_THROW(aio::add_signal_handler(SIGSTOP, [] {}), std::invalid_argument);
    EXPECT_THROW(aio::add_signal_handler(0, [] {}), std::invalid_argument);
    EXPECT_THROW(aio::add_signal_handler(NSIG, [] {}), std::invalid_argument);
    EXPECT_THROW(aio::remove_signal_handler(-1), std::invalid_argument);
    EXPECT_THROW(aio::add_signal_handler(SIGUSR1, nullptr), std::invalid_argument);
    EXPECT_THROW(co_await aio::wait_for_signal(SIGUSR1, SIGKILL), std::invalid_argument);
    EXPECT_EQ(disposition(SIGUSR1), SIG_DFL);  // the first registration was undone
}

AIO_TEST(Signals, OneLoopPerSignal) {
    aio::add_signal_handler(SIGUSR1, [] {});
    {
        aio::EventLoop other;
        EXPECT_THROW(other.add_signal_handler(SIGUSR1, [] {}), aio::RuntimeError);
        other.add_signal_handler(SIGUSR2, [] {});  // a different signal is fine
    }                                              // closing the other loop gives SIGUSR2 back
    EXPECT_EQ(disposition(SIGUSR2), SIG_DFL);
    aio::remove_signal_handler(SIGUSR1);
    co_return;
}

AIO_TEST(Signals, WaitForOneOfSeveral) {
    auto waiting = aio::create_task(aio::wait_for_signal(SIGUSR1, SIGUSR2));
    co_await aio::sleep(0s);
    EXPECT_NE(disposition(SIGUSR2), SIG_DFL);  // caught while waited for
    ::raise(SIGUSR2);
    EXPECT_EQ(co_await waiting, SIGUSR2);
    EXPECT_EQ(disposition(SIGUSR1), SIG_DFL);
    EXPECT_EQ(disposition(SIGUSR2), SIG_DFL);

    // A waiter and a handler on one signal: both hear it.
    bool handled = false;
    aio::add_signal_handler(SIGUSR1, [&] { handled = true; });
    auto waiter = aio::create_task(aio::wait_for_signal(SIGUSR1));
    co_await aio::sleep(0s);
    ::raise(SIGUSR1);
    EXPECT_EQ(co_await waiter, SIGUSR1);
    co_await aio::sleep(0s);
    EXPECT_TRUE(handled);
    EXPECT_NE(disposition(SIGUSR1), SIG_DFL);  // the handler keeps it
    aio::remove_signal_handler(SIGUSR1);
}

AIO_TEST(Signals, CancelledWaitLeavesNoTrace) {
    auto waiting = aio::create_task(aio::wait_for_signal(SIGUSR1));
    co_await aio::sleep(0s);
    EXPECT_NE(disposition(SIGUSR1), SIG_DFL);
    waiting.cancel();
    EXPECT_THROW(co_await waiting, aio::CancelledError);
    EXPECT_EQ(disposition(SIGUSR1), SIG_DFL);
    // Timed out the asyncio way.
    EXPECT_THROW(co_await aio::wait_for(aio::wait_for_signal(SIGUSR2), 1s), aio::TimeoutError);
    EXPECT_EQ(disposition(SIGUSR2), SIG_DFL);
}

// ---- aio::run ----

TEST(RunSignals, FirstSigintCancelsTheMainTask) {
    bool cancelled = false;
    auto main = [](bool& cancelled) -> aio::Task<int> {
        ::raise(SIGINT);
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
            cancelled = true;
            throw;
        }
        co_return 1;
    };
    try {
        aio::run(main(cancelled));
        ADD_FAILURE() << "no KeyboardInterrupt";
    } catch (const aio::KeyboardInterrupt& e) {
        EXPECT_EQ(e.signal(), SIGINT);
    }
    EXPECT_TRUE(cancelled);
    EXPECT_EQ(disposition(SIGINT), SIG_DFL);
}

TEST(RunSignals, MainMayCatchTheCancellation) {
    auto main = []() -> aio::Task<int> {
        ::raise(SIGINT);
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
            co_return 5;  // cleaned up and finished: no KeyboardInterrupt
        }
        co_return 1;
    };
    EXPECT_EQ(aio::run(main()), 5);
}

TEST(RunSignals, InterruptOnWiresSigterm) {
    auto main = []() -> aio::Task<> {
        aio::interrupt_on(SIGTERM);
        ::raise(SIGTERM);
        co_await aio::sleep(1h);
    };
    try {
        aio::run(main());
        ADD_FAILURE() << "no KeyboardInterrupt";
    } catch (const aio::KeyboardInterrupt& e) {
        EXPECT_EQ(e.signal(), SIGTERM);
    }
    EXPECT_EQ(disposition(SIGTERM), SIG_DFL);
    EXPECT_THROW(aio::interrupt_on(SIGTERM), aio::RuntimeError);  // outside aio::run
}

TEST(RunSignals, AWaiterForSigintTakesItInstead) {
    auto main = []() -> aio::Task<int> {
        auto waiting = aio::create_task(aio::wait_for_signal(SIGINT));
        co_await aio::sleep(0s);
        ::raise(SIGINT);
        co_return co_await waiting;  // not cancelled
    };
    EXPECT_EQ(aio::run(main()), SIGINT);
    EXPECT_EQ(disposition(SIGINT), SIG_DFL);
}

TEST(RunSignals, ChangedSigintIsLeftAlone) {
    ::signal(SIGINT, SIG_IGN);
    auto main = []() -> aio::Task<bool> { co_return disposition(SIGINT) == SIG_IGN; };
    EXPECT_TRUE(aio::run(main()));
    ::signal(SIGINT, SIG_DFL);
}

TEST(RunSignalsDeathTest, SecondSigintEndsTheProcess) {
    auto main = []() -> aio::Task<> {
        ::raise(SIGINT);
        ::raise(SIGINT);
        co_await aio::sleep(1h);
    };
    EXPECT_EXIT(aio::run(main()), ::testing::KilledBySignal(SIGINT), "");
}

TEST(RunSignalsDeathTest, UncaughtKeyboardInterruptEndsTheProcessBySignal) {
    auto main = []() -> aio::Task<> {
        ::raise(SIGINT);
        co_await aio::sleep(1h);
    };
    // (noexcept: the exception reaches std::terminate, as one escaping main() does.)
    auto uncaught = [&]() noexcept { aio::run(main()); };
    EXPECT_EXIT(uncaught(), ::testing::KilledBySignal(SIGINT), "");
}

}  // namespace
