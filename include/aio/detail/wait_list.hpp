// The FIFO of tasks waiting on a lock, event, semaphore, condition or queue: asyncio's deque of
// futures, with each future replaced by a node in the waiting coroutine's frame. A waiter is
// waiting, woken (asyncio: fut.set_result) or cancelled (fut.cancel()); it leaves the list when
// its task resumes (asyncio: `finally: waiters.remove(fut)`), or when woken, for lists that pop.
#pragma once
#include <coroutine>
#include <cstddef>

#include "aio/detail/future_base.hpp"
#include "aio/detail/task_base.hpp"

namespace aio::detail {

class WaitList {
  public:
    class Waiter;
    WaitList() = default;
    // Waiters still listed are cut loose, so that a task resuming after the primitive was
    // destroyed does not touch it.
    ~WaitList();
    WaitList(const WaitList&) = delete;
    WaitList& operator=(const WaitList&) = delete;

    // Waiters still listed, in any state.
    std::size_t size() const noexcept { return size_; }
    // Listed waiters not yet woken nor cancelled.
    std::size_t waiting() const noexcept { return waiting_; }
    // Listed waiters that are not cancelled (waiting, or woken and about to run).
    std::size_t live() const noexcept { return waiting_ + woken_; }

    // Wakes the first waiter still waiting. With `pop`, that waiter and the cancelled ones before
    // it leave the list (asyncio's queues popleft); without, they stay until they run (locks).
    bool wake_first(bool pop) noexcept;
    // Wakes the waiter at the head of the list if it is still waiting; a head already woken or
    // cancelled will pass the turn on itself when it runs (asyncio's Lock._wake_up_first).
    bool wake_head() noexcept;
    // Wakes up to n waiters still waiting, in order; returns how many.
    std::size_t wake(std::size_t n) noexcept;
    // Wakes every waiter still waiting and empties the list.
    void wake_all_and_clear() noexcept;

  private:
    void append(Waiter* w) noexcept;
    void unlink(Waiter* w) noexcept;
    Waiter* head_ = nullptr;
    Waiter* tail_ = nullptr;
    std::size_t size_ = 0;
    std::size_t waiting_ = 0;
    std::size_t woken_ = 0;
};

// co_await a Waiter to join the list and wait to be woken. Resuming throws CancelledError if the
// task was cancelled, whether before or after the wake-up arrived; woken() then tells the
// primitive that a wake-up must be passed on, so that none is lost.
class WaitList::Waiter : Suspension {
  public:
    explicit Waiter(WaitList& list) noexcept : Suspension(&cancel_wait), list_(&list) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    ~Waiter() { leave(); }

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume();

    // The wake-up arrived (even if the task was cancelled afterwards).
    bool woken() const noexcept { return state_ == State::woken; }

  private:
    friend class WaitList;
    enum class State : unsigned char { idle, waiting, woken, cancelled };
    static bool cancel_wait(Suspension* s, TaskBase&) noexcept;
    void wake() noexcept;
    void leave() noexcept {
        if (linked_) list_->unlink(this);
    }

    WaitList* list_;
    Waiter* prev_ = nullptr;
    Waiter* next_ = nullptr;
    TaskBase* task_ = nullptr;
    State state_ = State::idle;
    bool linked_ = false;
};

}  // namespace aio::detail
