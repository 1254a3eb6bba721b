// The interface between the event loop and the kernel: the only code that knows about epoll,
// io_uring or poll lives behind it. The loop calls wait() once per iteration with the time until
// its next timer; the backend blocks at most that long and puts whatever completed on the loop's
// ready queue. wakeup() is the one thread-safe call: it ends a wait() early.
//
// I/O is readiness-based for now: an operation tries its system call first and, on EAGAIN,
// waits for readiness with an FdWaiter (watch/unwatch). epoll registers each fd once,
// edge-triggered; io_uring can serve the same interface with POLL_ADD, and later complete
// operations itself (one SQE per operation, user_data = an operation node in the awaiting frame,
// submitted in one batch per wait(); a cancelled operation resumes its coroutine only after the
// kernel is done with its buffer).
#pragma once
#include <memory>

#include "aio/time.hpp"

namespace aio {
class EventLoop;
}

namespace aio::detail {

class FdWaiter;

class Backend {
  public:
    virtual ~Backend() = default;
    virtual const char* name() const noexcept = 0;
    // Blocks until I/O completes, wakeup() is called, or `timeout` passes (Duration::max():
    // no limit; zero: just poll).
    virtual void wait(Duration timeout) = 0;
    // Thread-safe: makes the current or next wait() return promptly.
    virtual void wakeup() noexcept = 0;
    // Whether operations are in flight; the virtual clock never jumps past pending I/O.
    virtual bool has_pending_io() const noexcept = 0;
    // Wakes `w` (w->ready()) once its fd is ready for its interest. One waiter per fd and
    // interest: a second one gets RuntimeError.
    virtual void watch(FdWaiter& w) = 0;
    virtual void unwatch(FdWaiter& w) noexcept = 0;
    // The fd is about to be closed: drop its registration (waiters on it are woken, and their
    // retried call reports the error).
    virtual void forget(int fd) noexcept = 0;
};

// The backend for a new loop.
std::unique_ptr<Backend> make_backend(EventLoop& loop);

}  // namespace aio::detail
