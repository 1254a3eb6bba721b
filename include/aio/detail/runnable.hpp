// The event loop's ready queue: an intrusive FIFO of Runnable nodes (tasks, callbacks, timer
// expiries). Like asyncio's loop._ready deque, but nothing is allocated to enqueue.
#pragma once
#include <cstddef>

namespace aio::detail {

struct Runnable {
    // Runs the node, or (discard == true) drops it without running, when a loop closes.
    using Fn = void (*)(Runnable*, bool discard);
    explicit Runnable(Fn f) noexcept : fn(f) {}
    Runnable* next_ready = nullptr;
    Fn fn;
};

class ReadyQueue {
  public:
    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept { return size_; }

    void push(Runnable* r) noexcept {
        r->next_ready = nullptr;
        *tail_ = r;
        tail_ = &r->next_ready;
        ++size_;
    }

    Runnable* pop() noexcept {
        Runnable* r = head_;
        head_ = r->next_ready;
        if (!head_) tail_ = &head_;
        --size_;
        return r;
    }

  private:
    Runnable* head_ = nullptr;
    Runnable** tail_ = &head_;
    std::size_t size_ = 0;
};

}  // namespace aio::detail
