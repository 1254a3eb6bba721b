// Waits until a future or task is done, without taking its result and without cancelling it
// when the waiting task is cancelled (what asyncio.wait does for each future it watches).
#pragma once
#include <coroutine>

#include "aio/detail/future_base.hpp"
#include "aio/detail/task_base.hpp"

namespace aio::detail {

class WhenDone : Suspension, DoneWaiter {
  public:
    explicit WhenDone(FutureBase* f) noexcept
        : Suspension(&cancel_wait), DoneWaiter(&on_done), f_(f) {}
    ~WhenDone() { f_->remove_waiter(this); }
    bool await_ready() const noexcept { return f_->done(); }
    void await_suspend(std::coroutine_handle<> h) {
        task_ = &current_task_for_await();
        f_->add_waiter(this);
        task_->suspend(h, this);
    }
    void await_resume() {
        if (!task_) return;
        if (cancelled_) task_->throw_cancelled();
        task_->throw_if_cancel_pending();
    }

  private:
    static void on_done(DoneWaiter* w) noexcept { static_cast<WhenDone*>(w)->task_->wake(); }
    static bool cancel_wait(Suspension* s, TaskBase&) noexcept {
        auto* self = static_cast<WhenDone*>(s);
        if (!self->linked()) return false;
        self->f_->remove_waiter(self);
        self->cancelled_ = true;
        self->task_->wake();
        return true;
    }
    FutureBase* f_;
    TaskBase* task_ = nullptr;
    bool cancelled_ = false;
};

}  // namespace aio::detail
