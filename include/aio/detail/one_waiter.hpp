// A place for one task to wait until something it checks for has happened (a stream reader
// waiting for data): wake() resumes it. Frameless: the awaiter lives in the
// waiting frame. Cancelling the wait resumes the task with CancelledError; a task woken and then
// cancelled before it ran gets the cancellation at its next await, and nothing is lost, since
// what it waited for is still there to be checked.
#pragma once
#include <coroutine>

#include "aio/detail/task_base.hpp"
#include "aio/errors.hpp"

namespace aio::detail {

class OneWaiter {
  public:
    // The call that waits, for the error a second waiter gets (one byte, not a string pointer:
    // the awaiter sits in the frame of every task that reads a stream).
    enum class Call : unsigned char { read, read_into, readexactly, readuntil };
    class Awaiter;
    // RuntimeError if another task is already waiting (asyncio: "read() called while another
    // coroutine is already waiting for incoming data").
    Awaiter wait(Call what) noexcept;
    void wake() noexcept {
        if (TaskBase* t = task_) {
            task_ = nullptr;
            t->wake();
        }
    }
    bool has_waiter() const noexcept { return task_ != nullptr; }

  private:
    TaskBase* task_ = nullptr;
};

class OneWaiter::Awaiter : Suspension {
  public:
    Awaiter(OneWaiter& w, Call what) noexcept : Suspension(&cancel), w_(w), what_(what) {}
    Awaiter(const Awaiter&) = delete;
    Awaiter& operator=(const Awaiter&) = delete;
    ~Awaiter() {
        if (task_ && w_.task_ == task_) w_.task_ = nullptr;
    }
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        TaskBase& task = current_task_for_await();
        if (w_.task_) throw_busy(what_);
        task_ = &task;
        w_.task_ = task_;
        task.suspend(h, this);
    }
    void await_resume() {
        if (cancelled_) task_->throw_cancelled();
        task_->throw_if_cancel_pending();
    }

  private:
    static bool cancel(Suspension* s, TaskBase&) noexcept {
        auto* self = static_cast<Awaiter*>(s);
        if (self->w_.task_ != self->task_) return false;  // already woken
        self->w_.task_ = nullptr;
        self->cancelled_ = true;
        self->task_->wake();
        return true;
    }
    [[noreturn]] static void throw_busy(Call what);
    OneWaiter& w_;
    TaskBase* task_ = nullptr;
    bool cancelled_ = false;
    Call what_;
};

inline OneWaiter::Awaiter OneWaiter::wait(Call what) noexcept {
    return Awaiter(*this, what);
}

}  // namespace aio::detail
