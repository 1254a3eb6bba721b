// aio::run (asyncio.run): the entry point of a program. Creates a loop, runs `main` to
// completion, cancels whatever tasks are left and waits for them, closes the loop, and returns
// main's value or rethrows its exception. On the main thread, while SIGINT has its default
// action, the first Ctrl-C cancels the main task (aio::run then throws KeyboardInterrupt if
// main ends cancelled) and a second one ends the process at once, as asyncio.run does;
// interrupt_on(SIGTERM) wires another signal the same way; a KeyboardInterrupt nobody catches
// ends the process by its signal, not with std::terminate's abort. A task waiting in
// wait_for_signal(SIGINT) takes the signal instead; add_signal_handler(SIGINT) replaces this.
// aio::Runner is the same with several runs on one loop (asyncio.Runner).
#pragma once
#include <utility>
#include <vector>

#include "aio/loop.hpp"
#include "aio/task.hpp"
#include "aio/tasks.hpp"

namespace aio {

// asyncio.Runner: one loop for several run() calls (tasks a run leaves behind go on in the
// next), closed by close() or the destructor, which cancel what is left as aio::run does.
//   aio::Runner runner;
//   runner.run(setup());
//   runner.run(serve());
// Each run() handles Ctrl-C as aio::run does, for as long as it runs.
class Runner {
  public:
    explicit Runner(LoopOptions options = {});
    ~Runner();
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    // Runs main to completion on the runner's loop: its value, or its exception.
    // RuntimeError inside a running loop or after close().
    template <class T>
    T run(Task<T> main) {
        RunScope scope(*this);
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
    // Cancels the tasks left and waits for them, joins the default executor's threads, closes
    // the loop. Again: nothing.
    void close();
    // RuntimeError once closed.
    EventLoop& get_loop();
    EventLoop& loop() noexcept { return loop_; }

    // The runner whose run() is running on this thread (interrupt_on).
    static Runner& current();
    void interrupt_on(int sig);
    // Cancels every remaining task and runs the loop until they are all done; reports those that
    // ended with an exception. Also used by aio/testing.hpp.
    static void cancel_all_tasks(EventLoop& loop) noexcept;

  private:
    // One run(): checks it may start; on leaving, takes back the interrupt handlers.
    struct RunScope {
        explicit RunScope(Runner& r);
        ~RunScope();
        Runner& runner;
        Runner* outer;
    };
    // Makes a KeyboardInterrupt that nobody catches end the process by its signal (as Python
    // does, and as the signal's default action would) instead of std::terminate's abort.
    static void die_of_uncaught_interrupts();
    void catch_sigint();
    void on_interrupt(int sig);
    EventLoop loop_;
    AnyTask main_;
    std::vector<int> interrupt_signals_;  // the handlers this run installed
    int interrupted_by_ = 0;              // the signal that cancelled main, if one did
    bool closed_ = false;
};

template <class T>
T run(Task<T> main, LoopOptions options = {}) {
    if (detail::running_loop)
        throw RuntimeError("aio::run() cannot be called from a running event loop");
    Runner runner(options);
    return runner.run(std::move(main));
}

// Inside aio::run: sig (SIGTERM, say) does what SIGINT does, the first one cancelling the main
// task and a second ending the process; KeyboardInterrupt::signal() says which came.
// RuntimeError outside aio::run.
void interrupt_on(int sig);

}  // namespace aio
