// A task waiting for a file descriptor to become readable or writable: the readiness wait under
// every socket operation (try the system call; on EAGAIN, wait here and try again). The node
// lives in the awaiting frame; the backend wakes it.
#pragma once
#include <coroutine>

#include "aio/detail/future_base.hpp"
#include "aio/detail/task_base.hpp"

namespace aio::detail {

class FdWaiter : Suspension {
  public:
    enum class Interest : unsigned char { read, write };
    // check_first: the caller does not know the fd to be unready, so look (poll) before waiting;
    // the wait still yields to the loop once. Socket operations pass false: they just saw EAGAIN.
    FdWaiter(int fd, Interest interest, bool check_first) noexcept
        : Suspension(&cancel_wait), fd_(fd), interest_(interest), check_first_(check_first) {}
    FdWaiter(const FdWaiter&) = delete;
    FdWaiter& operator=(const FdWaiter&) = delete;
    ~FdWaiter();

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume();

    int fd() const noexcept { return fd_; }
    Interest interest() const noexcept { return interest_; }
    // Called by the backend: the fd is ready (or in error, which the retried call will report).
    void ready() noexcept;

  private:
    static bool cancel_wait(Suspension* s, TaskBase&) noexcept;
    int fd_;
    Interest interest_;
    bool check_first_;
    bool watching_ = false;
    bool cancelled_ = false;
    TaskBase* task_ = nullptr;
};

}  // namespace aio::detail
