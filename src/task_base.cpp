#include "aio/detail/task_base.hpp"

#include <vector>

#include "aio/tasks.hpp"

namespace aio::detail {

TaskBase::TaskBase(EventLoop* loop, std::coroutine_handle<> root, std::string* name,
                   const Context* context)
    : FutureBase(loop),
      Runnable(&run_step),
      root_(root),
      resume_at_(root),
      id_(static_cast<std::uint32_t>(loop->next_task_id())) {
    // First: if these throw, nothing is registered.
    if (name) extras().name = std::move(*name);
    if (context)
        extras().context = context->box();
    else if (contexts_in_use.load(std::memory_order_relaxed))
        if (auto inherited = inherit_context()) extras().context = std::move(inherited);
    loop->tasks().insert(this);
    retain();  // the loop's reference, until the task is done
}

TaskBase::~TaskBase() {
    if (!unretrieved()) return;
    try {
        report_unretrieved("Task", get_name());
    } catch (...) {
    }
}

ContextBox& TaskBase::make_context_box() {
    auto& box = extras().context;
    if (!box) box = std::make_shared<ContextBox>();
    return *box;
}

TaskBase::Extras& TaskBase::extras() {
    if (!extras_) extras_ = std::make_unique<Extras>();
    return *extras_;
}

std::string TaskBase::get_name() const {
    if (extras_ && !extras_->name.empty()) return extras_->name;
    return "Task-" + std::to_string(id_);
}

void TaskBase::set_name(std::string name) {
    extras().name = std::move(name);
}

const std::string& TaskBase::cancel_message() const noexcept {
    static const std::string empty;
    return extras_ ? extras_->cancel_message : empty;
}

void TaskBase::throw_cancelled() {
    must_cancel_ = false;  // delivered: a request made while it was on its way is spent
    throw CancelledError(cancel_message());
}

// As asyncio's Task.cancel: a task waiting on something has that cancelled, and gets its
// CancelledError, with the first request's message, when it runs next. A second request in the
// meantime reaches what it waits on again (a task waited on may have ignored the first), and
// otherwise leaves a pending cancel, which the delivery of the CancelledError clears (as
// asyncio's __step clears _must_cancel when it throws a CancelledError in).
bool TaskBase::cancel(std::string msg) {
    if (done()) return false;
    ++num_cancels_requested_;
    const bool first = !cancel_delivering_;
    if (first && (!msg.empty() || extras_)) extras().cancel_message = std::move(msg);
    if (waiting_on_ && waiting_on_->cancel_fn(waiting_on_, *this)) {
        cancel_delivering_ = true;
        return true;
    }
    must_cancel_ = true;
    return true;
}

int TaskBase::uncancel() noexcept {
    if (num_cancels_requested_ > 0) --num_cancels_requested_;
    if (num_cancels_requested_ == 0) must_cancel_ = false;  // asyncio 3.13
    return num_cancels_requested_;
}

void TaskBase::start(bool eager) noexcept {
    if (eager && loop_->is_running() && running_loop == loop_)
        step();
    else
        wake();
}

void TaskBase::run_step(Runnable* self, bool discard) noexcept {
    if (!discard) static_cast<TaskBase*>(self)->step();
}

void TaskBase::step() noexcept {
    EventLoop& loop = *loop_;
    TaskBase* const outer = loop.current_;  // set when an eager task starts inside another
    const int outer_budget = loop.budget_;
    const std::uintptr_t outer_stack = loop.step_stack_;
    loop.current_ = this;
    loop.budget_ = loop.coop_budget_;
    // An eager task started inside another step shares that step's stack allowance.
    if (!outer) loop.step_stack_ = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    waiting_on_ = nullptr;
    cancel_delivering_ = false;
    const bool first_step = !started_;
    started_ = true;
    if (first_step && must_cancel_) {  // cancelled before it ever ran: the body never starts
        destroy_frame();
        finish(make_cancelled_error(cancel_message()));
    } else {
        resume_at_.resume();  // may finish the task and free `this`
        // The trampoline: a chain of awaits that grew too deep unwound to here (chain_to).
        while (auto next = std::exchange(loop.bounce_, {}))
            next.resume();
    }
    loop.current_ = outer;
    loop.budget_ = outer_budget;
    loop.step_stack_ = outer_stack;
}

std::coroutine_handle<> TaskBase::on_root_done() noexcept {
    std::exception_ptr error = take_result(root_);
    destroy_frame();
    finish(std::move(error));
    return std::noop_coroutine();
}

void TaskBase::destroy_frame() noexcept {
    if (root_) std::exchange(root_, {}).destroy();
    resume_at_ = {};
}

void TaskBase::finish_abandoned() noexcept {
    finish(make_cancelled_error("Task was destroyed but it is pending!"));
}

void TaskBase::finish(std::exception_ptr error) noexcept {
    bool cancelled = false;
    if (error) {
        cancelled = is_cancelled_error(error);
    } else if (must_cancel_) {  // cancelled right before the coroutine returned
        cancelled = true;
        error = make_cancelled_error(cancel_message());
    }
    must_cancel_ = false;
    loop_->tasks().erase(this);
    complete(std::move(error), cancelled);
    release();  // the loop's reference
}

TaskBase& current_task_for_await() {
    TaskBase* t = current_task_or_null();
    if (!t)
        throw RuntimeError("co_await outside a task: run coroutines with aio::run or create_task");
    return *t;
}

}  // namespace aio::detail

namespace aio {

AnyTask current_task() {
    return AnyTask(detail::current_task_or_null());
}

std::vector<AnyTask> all_tasks(EventLoop& loop) {
    std::vector<AnyTask> out;
    for (detail::TaskBase* t = loop.tasks().head; t; t = t->next_task)
        out.emplace_back(t);
    return out;
}

std::vector<AnyTask> all_tasks() {
    return all_tasks(get_running_loop());
}

}  // namespace aio
