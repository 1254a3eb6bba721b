#include "aio/future.hpp"

#include "aio/errors.hpp"
#include "aio/loop.hpp"
#include "loop_registry.hpp"

namespace aio::detail {

std::exception_ptr make_cancelled_error(const std::string& msg) {
    return std::make_exception_ptr(CancelledError(msg));
}

FutureBase::~FutureBase() {
    if (unretrieved()) report_unretrieved("Future", "Future");
}

void FutureBase::report_unretrieved(const char* kind, const std::string& name) noexcept {
    if (!unretrieved() || is_cancelled_error(error_)) return;
    retrieved_ = true;
    try {
        ExceptionContext context{std::string(kind) + " exception was never retrieved", error_,
                                 name};
        if (loop_is_alive(loop_))
            loop_->call_exception_handler(context);
        else
            EventLoop::default_exception_handler(context);
    } catch (...) {  // out of memory while reporting: nothing better to do
    }
}

bool FutureBase::cancel(std::string msg) {
    if (done()) return false;
    check_loop_open();
    complete(make_cancelled_error(msg), true);
    return true;
}

std::exception_ptr FutureBase::exception() {
    if (state_ == State::pending) throw InvalidStateError("Exception is not set.");
    if (state_ == State::cancelled) std::rethrow_exception(error_);
    retrieved_ = true;
    return error_;
}

void FutureBase::check_result() {
    if (state_ == State::pending) throw InvalidStateError("Result is not set.");
    retrieved_ = true;
    if (error_) std::rethrow_exception(error_);
}

void FutureBase::add_waiter(DoneWaiter* w) noexcept {
    if (!last_) {
        w->next = w->prev = w;
    } else {
        w->next = last_->next;
        w->prev = last_;
        last_->next->prev = w;
        last_->next = w;
    }
    last_ = w;
}

void FutureBase::remove_waiter(DoneWaiter* w) noexcept {
    if (!w->linked()) return;
    if (w->next == w) {
        last_ = nullptr;
    } else {
        w->prev->next = w->next;
        w->next->prev = w->prev;
        if (last_ == w) last_ = w->prev;
    }
    w->prev = w->next = nullptr;
}

std::string FutureBase::describe() const {
    return "Future";
}

void FutureBase::complete(std::exception_ptr error, bool cancelled) noexcept {
    error_ = std::move(error);
    state_ = cancelled ? State::cancelled : State::finished;
    while (last_) {
        DoneWaiter* first = last_->next;
        remove_waiter(first);
        first->notify(first);
    }
}

void FutureBase::check_loop_open() const {
    loop_->check_open();
}

namespace {
thread_local std::uint64_t last_done_callback_id = 0;
}

DoneCallbackBase::DoneCallbackBase(FutureBase* fut, Runnable::Fn run) noexcept
    : DoneWaiter(&on_done), Runnable(run), fut_(fut), id_{++last_done_callback_id} {
    fut_->retain();
}

DoneCallbackBase::~DoneCallbackBase() {
    fut_->release();
}

void DoneCallbackBase::list() noexcept {
    if (fut_->done())
        fut_->loop().schedule(this);
    else
        fut_->add_waiter(this);
}

void DoneCallbackBase::on_done(DoneWaiter* w) noexcept {
    auto* self = static_cast<DoneCallbackBase*>(w);
    self->fut_->loop().schedule(self);
}

bool DoneCallbackBase::remove(FutureBase* fut, DoneCallbackId id) noexcept {
    DoneWaiter* found = fut->find_waiter([id](DoneWaiter* w) {
        return w->notify == &on_done && static_cast<DoneCallbackBase*>(w)->id_ == id;
    });
    if (!found) return false;
    fut->remove_waiter(found);
    auto* cb = static_cast<DoneCallbackBase*>(found);
    cb->fn(cb, /*discard=*/true);  // deletes it
    return true;
}

void DoneCallbackBase::report(std::exception_ptr error) noexcept {
    // As asyncio reports a done callback's Handle: the callback and its argument, no future of
    // its own.
    fut_->loop().call_exception_handler(
        {"Exception in callback done_callback(" + fut_->describe() + ")", std::move(error), {}});
}

}  // namespace aio::detail
