#include "aio/detail/fd_waiter.hpp"

#include "backend/backend.hpp"
#include "backend/sys.hpp"

namespace aio::detail {

FdWaiter::~FdWaiter() {
    if (watching_) task_->loop().backend().unwatch(*this);
}

void FdWaiter::await_suspend(std::coroutine_handle<> h) {
    task_ = &current_task_for_await();
    if (check_first_) {
        if (sys::ready_now(fd, interest == Interest::write)) {  // ready already: just yield once
            task_->suspend(h, nullptr);
            task_->wake();
            return;
        }
    }
    task_->loop().backend().watch(*this);
    watching_ = true;
    task_->suspend(h, this);
}

void FdWaiter::await_resume() {
    if (!task_) return;
    if (cancelled_) task_->throw_cancelled();
    task_->throw_if_cancel_pending();
}

bool FdWaiter::wake(ReadinessWaiter* w, bool) noexcept {
    auto* self = static_cast<FdWaiter*>(w);
    self->watching_ = false;
    self->task_->wake();
    return true;
}

bool FdWaiter::cancel_wait(Suspension* s, TaskBase&) noexcept {
    auto* self = static_cast<FdWaiter*>(s);
    if (!self->watching_) return false;
    self->task_->loop().backend().unwatch(*self);
    self->watching_ = false;
    self->cancelled_ = true;
    self->task_->wake();
    return true;
}

}  // namespace aio::detail
