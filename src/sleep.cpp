#include "aio/sleep.hpp"

namespace aio::detail {

Task<> sleep_task(Duration delay) {
    co_await SleepAwaiter(delay);
}

void SleepAwaiter::await_suspend(std::coroutine_handle<> h) {
    task_ = &current_task_for_await();
    EventLoop& loop = task_->loop();
    const Duration delay = when.time_since_epoch();
    if (delay == Duration::zero()) {  // a bare yield: back on the ready queue at once
        task_->suspend(h, nullptr);
        task_->wake();
        return;
    }
    const TimePoint now = loop.time();
    if (delay > TimePoint::max() - now) throw std::out_of_range("sleep: delay too large");
    when = now + delay;
    loop.add_timer(this);
    task_->suspend(h, this);
}

void SleepAwaiter::expired(Runnable* r, bool discard) noexcept {
    auto* self = static_cast<SleepAwaiter*>(r);
    if (discard || self->state_ != State::waiting) return;
    self->state_ = State::done;
    self->task_->wake();
}

bool SleepAwaiter::cancel_wait(Suspension* s, TaskBase&) noexcept {
    auto* self = static_cast<SleepAwaiter*>(s);
    if (self->state_ != State::waiting) return false;
    if (self->in_heap()) self->task_->loop().remove_timer(self);
    self->state_ = State::cancelled;
    self->task_->wake();  // behind the expiry node if that is already queued, so it runs first
    return true;
}

}  // namespace aio::detail
