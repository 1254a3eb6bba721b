#include "aio/locks.hpp"

#include <exception>

namespace aio {

using detail::WaitList;

// ---- Event ----

void Event::set() noexcept {
    if (value_) return;
    value_ = true;
    waiters_.wake(waiters_.waiting());
}

Task<> Event::wait() {
    if (value_) co_return;
    WaitList::Waiter w(waiters_);
    co_await w;
}

// ---- Lock ----

Task<> Lock::acquire() {
    // Free, and nobody is queued (or only cancelled waiters): take it.
    if (!locked_ && waiters_.live() == 0) {
        locked_ = true;
        co_return;
    }
    WaitList::Waiter w(waiters_);
    try {
        co_await w;
    } catch (const CancelledError&) {
        // If the lock is free, make sure the next waiter runs (our wake-up, if we had one).
        if (!locked_) wake_up_first();
        throw;
    }
    locked_ = true;
}

void Lock::release() {
    if (!locked_) throw RuntimeError("Lock is not acquired.");
    locked_ = false;
    wake_up_first();
}

Task<Lock::Guard> Lock::scoped() {
    co_await acquire();
    co_return Guard(*this);
}

// ---- Semaphore ----

Task<Semaphore::Guard> Semaphore::scoped() {
    co_await acquire();
    co_return Guard(*this);
}

Semaphore::Semaphore(long value) : value_(value) {
    if (value < 0) throw std::invalid_argument("Semaphore initial value must be >= 0");
}

bool Semaphore::wake_up_next() noexcept {
    if (waiters_.waiting() == 0) return false;
    --value_;  // the permit goes to the woken waiter now
    waiters_.wake_first(false);
    return true;
}

Task<> Semaphore::acquire() {
    if (!locked()) {
        --value_;
        co_return;
    }
    std::exception_ptr cancelled;
    {
        WaitList::Waiter w(waiters_);
        try {
            co_await w;
        } catch (const CancelledError&) {
            // Woken (the permit was ours) and cancelled before running: give the permit back.
            if (w.woken()) ++value_;
            cancelled = std::current_exception();
        }
    }
    // New waiters may have queued behind us: wake as many as there are permits.
    while (value_ > 0 && wake_up_next()) {
    }
    if (cancelled) std::rethrow_exception(cancelled);
}

void Semaphore::release() {
    ++value_;
    wake_up_next();
}

void BoundedSemaphore::release() {
    if (value_ >= bound_) throw std::invalid_argument("BoundedSemaphore released too many times");
    Semaphore::release();
}

// ---- Condition ----

Task<> Condition::wait() {
    if (!locked()) throw RuntimeError("cannot wait on un-acquired lock");
    release();
    std::exception_ptr error;
    bool notified = false;
    {
        WaitList::Waiter w(waiters_);
        try {
            co_await w;
        } catch (const CancelledError&) {
            error = std::current_exception();
            notified = w.woken();
        }
    }
    // The lock must be held again on the way out, even when cancelled.
    while (true) {
        try {
            co_await lock_->acquire();
            break;
        } catch (const CancelledError&) {
            error = std::current_exception();
        }
    }
    if (error) {
        if (notified) notify(1);  // the notification was ours: pass it on
        std::rethrow_exception(error);
    }
}

void Condition::notify(std::size_t n) {
    if (!locked()) throw RuntimeError("cannot notify on un-acquired lock");
    waiters_.wake(n);
}

// ---- Barrier ----

Barrier::Barrier(std::size_t parties) : parties_(parties) {
    if (parties < 1) throw std::invalid_argument("parties must be >= 1");
}

Task<std::size_t> Barrier::wait() {
    auto held = co_await cond_.scoped();
    co_await block();
    const std::size_t index = count_++;
    std::exception_ptr error;
    try {
        if (index + 1 == parties_) {
            state_ = State::draining;  // release the others; newcomers wait for the drain
            cond_.notify_all();
        } else {
            co_await wait_released();
        }
    } catch (...) {
        error = std::current_exception();
    }
    --count_;
    exit();
    if (error) std::rethrow_exception(error);
    co_return index;
}

Task<> Barrier::block() {
    co_await cond_.wait_for(
        [this] { return state_ != State::draining && state_ != State::resetting; });
    if (state_ == State::broken) throw BrokenBarrierError("Barrier aborted");
}

Task<> Barrier::wait_released() {
    co_await cond_.wait_for([this] { return state_ != State::filling; });
    if (state_ == State::broken || state_ == State::resetting)
        throw BrokenBarrierError("Abort or reset of barrier");
}

void Barrier::exit() {
    if (count_ != 0) return;
    if (state_ == State::resetting || state_ == State::draining) state_ = State::filling;
    cond_.notify_all();
}

Task<> Barrier::reset() {
    auto held = co_await cond_.scoped();
    if (count_ > 0) {
        if (state_ != State::resetting) state_ = State::resetting;
    } else {
        state_ = State::filling;
    }
    cond_.notify_all();
}

Task<> Barrier::abort() {
    auto held = co_await cond_.scoped();
    state_ = State::broken;
    cond_.notify_all();
}

}  // namespace aio
