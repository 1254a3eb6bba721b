// aio::run (asyncio.run): the entry point of a program. Creates a loop, runs `main` to
// completion, cancels whatever tasks are left and waits for them, closes the loop, and returns
// main's value or rethrows its exception.
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
    // Cancels every remaining task and runs the loop until they are all done; reports those that
    // ended with an exception. Also used by aio/testing.hpp.
    static void cancel_all_tasks(EventLoop& loop) noexcept;

  private:
    EventLoop loop_;
};
}  // namespace detail

template <class T>
T run(Task<T> main, LoopOptions options = {}) {
    if (detail::running_loop)
        throw RuntimeError("aio::run() cannot be called from a running event loop");
    detail::Runner runner(options);
    return runner.loop().run_until_complete(std::move(main));
}

}  // namespace aio
