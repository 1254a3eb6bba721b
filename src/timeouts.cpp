#include "aio/timeouts.hpp"

#include "aio/detail/when_done.hpp"

namespace aio {

void Timeout::enter() {
    if (state_ != State::created) throw RuntimeError("Timeout has already been entered");
    task_ = detail::current_task_or_null();
    if (!task_) throw RuntimeError("Timeout should be used inside a task");
    state_ = State::entered;
    cancelling_ = task_->cancelling();
    reschedule(when_);
}

void Timeout::reschedule(std::optional<TimePoint> when) {
    if (state_ == State::created) throw RuntimeError("Timeout has not been entered");
    if (state_ != State::entered)
        throw RuntimeError("Cannot change the deadline of a finished Timeout");
    when_ = when;
    handler_.cancel();
    handler_ = Handle();
    if (!when) return;
    EventLoop& loop = task_->loop();
    if (*when <= loop.time())
        handler_ = loop.call_soon([this] { on_timeout(); });
    else
        handler_ = loop.call_at(*when, [this] { on_timeout(); });
}

void Timeout::on_timeout() noexcept {
    task_->cancel({});
    state_ = State::expiring;
    handler_ = Handle();
}

bool Timeout::exit(bool cancelled_error) noexcept {
    handler_.cancel();
    handler_ = Handle();
    if (state_ == State::expiring) {
        state_ = State::expired;
        return task_->uncancel() <= cancelling_ && cancelled_error;
    }
    if (state_ == State::entered) state_ = State::exited;
    return false;
}

namespace detail {
Task<> cancel_and_wait(AnyTask task) {
    task.cancel();
    WhenDone done(task.base());
    co_await done;
}
}  // namespace detail

}  // namespace aio
