// The interface between the event loop and the kernel: the only code that knows about epoll,
// io_uring or poll lives behind it. The loop calls wait() once per iteration with the time until
// its next timer; the backend blocks at most that long and puts whatever completed on the loop's
// ready queue. wakeup() is the one thread-safe call: it ends a wait() early.
//
// I/O operations (the network issue) extend this with submit/cancel of an intrusive Operation
// that lives in the awaiting coroutine's frame: io_uring completes it (one SQE per operation,
// user_data = the Operation, submitted in one batch per wait()); epoll tries the syscall first and
// registers readiness interest only on EAGAIN. In both, a cancelled operation resumes its
// coroutine only after the kernel is done with its buffer.
#pragma once
#include <memory>

#include "aio/time.hpp"

namespace aio {
class EventLoop;
}

namespace aio::detail {

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
};

// The backend for a new loop.
std::unique_ptr<Backend> make_backend(EventLoop& loop);

}  // namespace aio::detail
