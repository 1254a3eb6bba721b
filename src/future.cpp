#include "aio/detail/future_base.hpp"

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

}  // namespace aio::detail
