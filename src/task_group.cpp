#include "aio/task_group.hpp"

namespace aio {

void TaskGroup::enter() {
    if (entered_) throw RuntimeError("TaskGroup has already been entered");
    parent_ = detail::current_task_or_null();
    if (!parent_) throw RuntimeError("TaskGroup cannot determine the parent task");
    loop_ = &parent_->loop();
    entered_ = true;
}

void TaskGroup::check_can_create() const {
    if (!entered_) throw RuntimeError("TaskGroup has not been entered");
    if (exiting_ && pending_ == 0) throw RuntimeError("TaskGroup is finished");
    if (aborting_) throw RuntimeError("TaskGroup is shutting down");
}

void TaskGroup::watch(AnyTask task) {
    const std::size_t index = tasks_.size();
    tasks_.push_back(task);
    ++pending_;
    if (task.done()) return on_task_done(index);  // an eager task that finished at once
    auto* base = task.base();
    auto cb = [this, index] { on_task_done(index); };
    detail::DoneCallback<decltype(cb)>::attach(base, std::move(cb));
}

void TaskGroup::on_task_done(std::size_t index) {
    AnyTask task = std::move(tasks_[index]);
    tasks_[index] = AnyTask();
    --pending_;
    if (on_completed_ && pending_ == 0 && !on_completed_->done()) on_completed_->set_result();
    if (task.cancelled()) return;
    auto* base = task.base();
    std::exception_ptr error = base->exception();
    if (!error) return;
    errors_.push_back(error);
    if (parent_->done()) {
        loop_->call_exception_handler(
            {"Task in a TaskGroup failed after its parent finished", error, base->describe()});
        return;
    }
    if (!aborting_ && !parent_cancel_requested_) {
        abort();
        parent_cancel_requested_ = true;
        parent_->cancel({});
    }
}

void TaskGroup::abort() {
    aborting_ = true;
    for (auto& t : tasks_)
        if (t && !t.done()) t.cancel();
}

Task<> TaskGroup::exit(std::exception_ptr body_error) {
    exiting_ = true;
    const bool body_cancelled = detail::is_cancelled_error(body_error);
    std::exception_ptr propagate_cancellation = body_cancelled ? body_error : nullptr;
    if (parent_cancel_requested_ && parent_->uncancel() == 0) propagate_cancellation = nullptr;
    if (body_error && !aborting_) abort();

    while (pending_ > 0) {
        if (!on_completed_) on_completed_.emplace(*loop_);
        try {
            co_await *on_completed_;
        } catch (const CancelledError&) {
            if (!aborting_) {
                propagate_cancellation = std::current_exception();
                abort();
            }
        }
        on_completed_.reset();
    }

    if (propagate_cancellation && errors_.empty()) std::rethrow_exception(propagate_cancellation);
    if (body_error && !body_cancelled) errors_.push_back(body_error);
    if (!errors_.empty())
        throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors_));
}

}  // namespace aio
