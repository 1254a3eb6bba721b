#include "aio/detail/wait_list.hpp"

namespace aio::detail {

WaitList::~WaitList() {
    for (Waiter* w = head_; w;) {
        Waiter* next = w->next_;
        w->prev_ = w->next_ = nullptr;
        w->linked_ = false;
        w = next;
    }
}

void WaitList::append(Waiter* w) noexcept {
    w->prev_ = tail_;
    w->next_ = nullptr;
    if (tail_)
        tail_->next_ = w;
    else
        head_ = w;
    tail_ = w;
    w->linked_ = true;
    ++size_;
    ++waiting_;
}

void WaitList::unlink(Waiter* w) noexcept {
    if (w->prev_)
        w->prev_->next_ = w->next_;
    else
        head_ = w->next_;
    if (w->next_)
        w->next_->prev_ = w->prev_;
    else
        tail_ = w->prev_;
    w->prev_ = w->next_ = nullptr;
    w->linked_ = false;
    --size_;
    if (w->state_ == Waiter::State::waiting)
        --waiting_;
    else if (w->state_ == Waiter::State::woken)
        --woken_;
}

bool WaitList::wake_first(bool pop) noexcept {
    for (Waiter* w = head_; w;) {
        Waiter* next = w->next_;
        const bool was_waiting = w->state_ == Waiter::State::waiting;
        if (was_waiting) w->wake();
        if (pop) unlink(w);
        if (was_waiting) return true;
        w = next;
    }
    return false;
}

bool WaitList::wake_head() noexcept {
    if (!head_ || head_->state_ != Waiter::State::waiting) return false;
    head_->wake();
    return true;
}

std::size_t WaitList::wake(std::size_t n) noexcept {
    std::size_t count = 0;
    for (Waiter* w = head_; w && count < n; w = w->next_) {
        if (w->state_ != Waiter::State::waiting) continue;
        w->wake();
        ++count;
    }
    return count;
}

void WaitList::wake_all_and_clear() noexcept {
    while (Waiter* w = head_) {
        if (w->state_ == Waiter::State::waiting) w->wake();
        unlink(w);
    }
}

void WaitList::Waiter::wake() noexcept {
    state_ = State::woken;
    --list_->waiting_;
    ++list_->woken_;
    task_->wake();
}

void WaitList::Waiter::await_suspend(std::coroutine_handle<> h) {
    task_ = &current_task_for_await();
    state_ = State::waiting;
    list_->append(this);
    task_->suspend(h, this);
}

void WaitList::Waiter::await_resume() {
    leave();
    if (state_ == State::cancelled) task_->throw_cancelled();
    task_->throw_if_cancel_pending();
}

bool WaitList::Waiter::cancel_wait(Suspension* s, TaskBase&) noexcept {
    auto* self = static_cast<Waiter*>(s);
    if (self->state_ != State::waiting) return false;
    if (self->linked_) --self->list_->waiting_;
    self->state_ = State::cancelled;  // stays listed until it runs, as asyncio's cancelled future
    self->task_->wake();
    return true;
}

}  // namespace aio::detail
