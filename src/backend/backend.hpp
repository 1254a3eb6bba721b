// The interface between the event loop and the kernel: the only code that knows about epoll or
// io_uring lives behind it. The loop calls wait() once per iteration with the time until its
// next timer; the backend blocks at most that long and puts whatever completed on the loop's
// ready queue. wakeup() is the one thread-safe call: it ends a wait() early.
//
// Two kinds of backend. A readiness backend (epoll) watches fds: socket operations try their
// system call first and, when it would block, the backend retries it on readiness. A completion
// backend (io_uring) is handed the operations themselves (submit), batched into one system call
// per loop iteration; both kinds serve readiness waits (watch) for foreign fds.
#pragma once
#include <memory>

#include "aio/loop.hpp"
#include "aio/time.hpp"

namespace aio::detail {

struct ReadinessWaiter;
class IoOp;

class Backend {
  public:
    virtual ~Backend() = default;
    virtual const char* name() const noexcept = 0;
    // Blocks until I/O completes, wakeup() is called, or `timeout` passes (Duration::max():
    // no limit; zero: just poll).
    virtual void wait(Duration timeout) = 0;
    // Between waits, while the loop is busy: hand queued submissions to the kernel and collect
    // completions that need no system call. Only called when batches_submissions().
    virtual void flush() {}
    bool batches_submissions() const noexcept { return completes_io_; }
    // Thread-safe: makes the current or next wait() return promptly.
    virtual void wakeup() noexcept = 0;
    // How many operations and readiness waits are in flight; the virtual clock never jumps past
    // pending I/O.
    virtual std::size_t pending_io() const noexcept = 0;

    // Calls w.on_ready once its fd is ready for its interest (again, while on_ready returns
    // false). One waiter per fd and interest: a second one gets RuntimeError.
    virtual void watch(ReadinessWaiter& w) = 0;
    virtual void unwatch(ReadinessWaiter& w) noexcept = 0;

    // Completion backends: the kernel does `op` and the backend calls op.complete(result).
    bool completes_io() const noexcept { return completes_io_; }
    virtual void submit(IoOp& op);
    // Asks the kernel to stop `op` early; its completion still arrives (usually -ECANCELED).
    virtual void cancel(IoOp& op) noexcept;
    // `op`'s frame is being destroyed while the kernel has it: cancel it and wait, blocking, for
    // its completion (loop close only).
    virtual void abandon(IoOp& op) noexcept;

    // The fd is about to be closed: readiness waiters on it are woken (their retried call reports
    // the error) and operations in flight on it end with EBADF.
    virtual void forget(int fd) noexcept = 0;

  protected:
    explicit Backend(bool completes_io) noexcept : completes_io_(completes_io) {}

  private:
    bool completes_io_;
};

// The backend for a new loop: the one asked for (options, else AIO_BACKEND), else io_uring when
// the kernel allows it, else epoll.
std::unique_ptr<Backend> make_backend(BackendKind kind);
std::unique_ptr<Backend> make_epoll_backend();
// Null when the kernel does not offer what aio needs (reason says why).
std::unique_ptr<Backend> make_uring_backend(std::string& reason);

}  // namespace aio::detail
