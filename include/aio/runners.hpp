// aio::run (asyncio.run): the entry point of a program. Creates a loop, runs `main` to
// completion, cancels whatever tasks are left and waits for them, closes the loop, and returns
// main's value or rethrows its exception. On the main thread, while SIGINT has its default
// action, the first Ctrl-C cancels the main task (aio::run then throws KeyboardInterrupt if
// main ends cancelled) and a second one ends the process at once, as asyncio.run does;
// interrupt_on(SIGTERM) wires another signal the same way; a KeyboardInterrupt nobody catches
// ends the process by its signal, not with std::terminate's abort. A task waiting in
// wait_for_signal(SIGINT) takes the signal instead; add_signal_handler(SIGINT) replaces this.
#pragma once
#include <utility>

#include "aio/loop.hpp"
#include "aio/task.hpp"
#include "aio/tasks.hpp"

namespace aio {

namespace detail {
// Owns the loop of one run(); its destructor is asyncio.run's `finally:` clause.
class Runner {
  public:
    explicit Runner(LoopOptions options);
    ~Runner();
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;
    EventLoop& loop() noexcept { return loop_; }
    template <class T>
    T run(Task<T> main) {
        auto task = loop_.create_task(std::move(main));
        main_ = AnyTask(task.state_ptr());
        catch_sigint();
        try {
            return loop_.run_until_complete(task);
        } catch (const CancelledError&) {
            if (!interrupted_by_) throw;
            die_of_uncaught_interrupts();
            throw KeyboardInterrupt(interrupted_by_);
        }
    }
    // The running aio::run's (interrupt_on).
    static Runner& current();
    void interrupt_on(int sig);
    // Cancels every remaining task and runs the loop until they are all done; reports those that
    // ended with an exception. Also used by aio/testing.hpp.
    static void cancel_all_tasks(EventLoop& loop) noexcept;

  private:
    // Makes a KeyboardInterrupt that nobody catches end the process by its signal (as Python
    // does, and as the signal's default action would) instead of std::terminate's abort.
    static void die_of_uncaught_interrupts();
    void catch_sigint();
    void on_interrupt(int sig);
    EventLoop loop_;
    AnyTask main_;
    int interrupted_by_ = 0;  // the signal that cancelled main, if one did
    Runner* outer_;
};
}  // namespace detail

template <class T>
T run(Task<T> main, LoopOptions options = {}) {
    if (detail::running_loop)
        throw RuntimeError("aio::run() cannot be called from a running event loop");
    detail::Runner runner(options);
    return runner.run(std::move(main));
}

// Inside aio::run: sig (SIGTERM, say) does what SIGINT does, the first one cancelling the main
// task and a second ending the process; KeyboardInterrupt::signal() says which came.
// RuntimeError outside aio::run.
void interrupt_on(int sig);

}  // namespace aio
