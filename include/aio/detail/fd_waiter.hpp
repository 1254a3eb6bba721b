// Readiness waits. A ReadinessWaiter is what a readiness backend (epoll, or io_uring's poll)
// holds for an fd and a direction; FdWaiter is the awaitable form a task suspends on (the
// readiness wait under wait_readable/wait_writable and the stream writer's flush). The node lives
// in the awaiting frame; the backend calls on_ready.
#pragma once
#include <coroutine>

#include "aio/detail/future_base.hpp"
#include "aio/detail/task_base.hpp"

namespace aio::detail {

enum class Interest : unsigned char { read, write };

struct ReadinessWaiter {
    // Called by the backend when the fd is ready (or in error) for `interest`; returns false to
    // keep waiting (a retried call that still would block). fd_closing: the fd is about to be
    // closed, and the waiter is dropped whatever it returns.
    using ReadyFn = bool (*)(ReadinessWaiter*, bool fd_closing) noexcept;
    ReadinessWaiter(int f, Interest i, ReadyFn r) noexcept : fd(f), interest(i), on_ready(r) {}
    int fd;
    Interest interest;
    // Set by the backend before on_ready: the event said hang-up or error, so a short read does
    // not mean the fd is drained (the EOF after the data still has to be read).
    bool hangup = false;
    ReadyFn on_ready;
};

class FdWaiter : Suspension, public ReadinessWaiter {
  public:
    using Interest = detail::Interest;
    // check_first: the caller does not know the fd to be unready, so look (poll) before waiting;
    // the wait still yields to the loop once. Socket operations pass false: they just saw EAGAIN.
    FdWaiter(int fd, Interest interest, bool check_first) noexcept
        : Suspension(&cancel_wait),
          ReadinessWaiter(fd, interest, &wake),
          check_first_(check_first) {}
    FdWaiter(const FdWaiter&) = delete;
    FdWaiter& operator=(const FdWaiter&) = delete;
    ~FdWaiter();

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume();

  private:
    static bool wake(ReadinessWaiter* w, bool fd_closing) noexcept;
    static bool cancel_wait(Suspension* s, TaskBase&) noexcept;
    bool check_first_;
    bool watching_ = false;
    bool cancelled_ = false;
    TaskBase* task_ = nullptr;
};

}  // namespace aio::detail
