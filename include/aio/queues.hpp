// Queues between tasks (asyncio.queues): Queue (FIFO), PriorityQueue (smallest first), LifoQueue,
// with maxsize back-pressure, task_done()/join(), and asyncio 3.13's shutdown(). A woken getter
// or putter that is cancelled before it runs passes its turn on (asyncio's discipline), so no
// item and no free slot is ever stranded. Move-only items work. Not thread-safe, like asyncio's.
#pragma once
#include <algorithm>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "aio/detail/wait_list.hpp"
#include "aio/locks.hpp"
#include "aio/task.hpp"

namespace aio {

// asyncio.QueueEmpty / QueueFull / QueueShutDown.
class QueueEmpty : public std::runtime_error {
  public:
    QueueEmpty() : std::runtime_error("QueueEmpty") {}
};
class QueueFull : public std::runtime_error {
  public:
    QueueFull() : std::runtime_error("QueueFull") {}
};
class QueueShutDown : public std::runtime_error {
  public:
    QueueShutDown() : std::runtime_error("QueueShutDown") {}
};

namespace detail {

// Everything about a queue but its items: waiters, unfinished-task count, shutdown.
class QueueCore {
  public:
    explicit QueueCore(long maxsize) noexcept : maxsize_(maxsize) { finished_.set(); }
    QueueCore(const QueueCore&) = delete;
    QueueCore& operator=(const QueueCore&) = delete;

    long maxsize() const noexcept { return maxsize_; }
    // Marks one item taken with get() as processed; std::invalid_argument (ValueError) if
    // called more often than items were put.
    void task_done();
    // Waits until every item put has been marked done.
    Task<> join();

    struct Statistics {
        std::size_t size;
        std::size_t getters;
        std::size_t putters;
        std::size_t unfinished_tasks;
        bool shut_down;
    };

  protected:
    void after_put() noexcept;  // count the item, wake a getter
    void after_get() noexcept { putters_.wake_first(true); }
    void shut_down(std::size_t dropped) noexcept;  // wake everyone; forget dropped items
    void check_not_shut_down() const {
        if (shutdown_) throw QueueShutDown();
    }

    WaitList getters_;
    WaitList putters_;
    long maxsize_;
    std::size_t unfinished_ = 0;
    Event finished_;
    bool shutdown_ = false;
};

// FIFO storage (asyncio.Queue).
template <class T>
class FifoStorage {
  public:
    void push(T item) { items_.push_back(std::move(item)); }
    T pop() {
        T item = std::move(items_.front());
        items_.pop_front();
        return item;
    }
    std::size_t size() const noexcept { return items_.size(); }

  private:
    std::deque<T> items_;
};

// LIFO storage (asyncio.LifoQueue).
template <class T>
class LifoStorage {
  public:
    void push(T item) { items_.push_back(std::move(item)); }
    T pop() {
        T item = std::move(items_.back());
        items_.pop_back();
        return item;
    }
    std::size_t size() const noexcept { return items_.size(); }

  private:
    std::vector<T> items_;
};

// Heap storage: the smallest item by Compare comes out first (asyncio.PriorityQueue, heapq).
template <class T, class Compare>
class HeapStorage {
  public:
    void push(T item) {
        items_.push_back(std::move(item));
        std::push_heap(items_.begin(), items_.end(), greater());
    }
    T pop() {
        std::pop_heap(items_.begin(), items_.end(), greater());
        T item = std::move(items_.back());
        items_.pop_back();
        return item;
    }
    std::size_t size() const noexcept { return items_.size(); }

  private:
    auto greater() const {
        return [this](const T& a, const T& b) { return compare_(b, a); };
    }
    std::vector<T> items_;
    Compare compare_;
};

template <class T, class Storage>
class BasicQueue : public QueueCore {
  public:
    // maxsize <= 0: unbounded.
    explicit BasicQueue(long maxsize = 0) noexcept : QueueCore(maxsize) {}

    std::size_t qsize() const noexcept { return items_.size(); }
    bool empty() const noexcept { return items_.size() == 0; }
    bool full() const noexcept {
        return maxsize_ > 0 && items_.size() >= static_cast<std::size_t>(maxsize_);
    }

    // Waits for a free slot if the queue is full. QueueShutDown once shut down.
    // (co_await q.put(x): a PutAwaiter, which takes the slot at once when one is free.)
    auto put(T item) { return PutAwaiter(*this, std::move(item)); }

    // QueueFull if full, QueueShutDown once shut down.
    void put_nowait(T item) {
        check_not_shut_down();
        if (full()) throw QueueFull();
        items_.push(std::move(item));
        after_put();
    }

    // Waits for an item if the queue is empty. QueueShutDown once shut down and empty.
    // (co_await q.get(): a GetAwaiter, which takes an item at once when there is one.)
    auto get() { return GetAwaiter(*this); }

    // QueueEmpty if empty (QueueShutDown if also shut down).
    T get_nowait() {
        if (empty()) {
            check_not_shut_down();
            throw QueueEmpty();
        }
        T item = items_.pop();
        after_get();
        return item;
    }

    // asyncio 3.13 Queue.shutdown: put() raises QueueShutDown from now on; get() does once the
    // queue is empty. immediate: the items left are dropped (and count as done for join()).
    void shutdown(bool immediate = false) {
        std::size_t dropped = 0;
        if (immediate) {
            for (; !empty(); ++dropped)
                items_.pop();
        }
        shut_down(dropped);
    }

    Statistics statistics() const noexcept {
        return {qsize(), getters_.live(), putters_.live(), unfinished_, shutdown_};
    }

  private:
    // The awaiting side of put()/get(). When the operation can complete at once (and the task
    // has coop budget left) it does, with no coroutine frame; otherwise it runs the waiting
    // coroutine (put_slow/get_slow), which follows asyncio's loop exactly.
    class [[nodiscard]] PutAwaiter {
      public:
        PutAwaiter(BasicQueue& q, T item) : q_(q), item_(std::move(item)) {}
        bool await_ready() {
            if (q_.full() || q_.shutdown_ || !spend_budget()) return false;
            q_.put_nowait(std::move(item_));
            return true;
        }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
            slow_ = q_.put_slow(std::move(item_));
            return slow_.operator co_await().await_suspend(h);
        }
        void await_resume() {
            if (slow_.valid()) slow_.operator co_await().await_resume();
        }
        // For create_task(q.put(x)) and gather(): the operation as a coroutine.
        Task<> as_task() && { return q_.put_slow(std::move(item_)); }

      private:
        BasicQueue& q_;
        T item_;
        Task<> slow_;
    };

    class [[nodiscard]] GetAwaiter {
      public:
        explicit GetAwaiter(BasicQueue& q) noexcept : q_(q) {}
        bool await_ready() {
            if (q_.empty() || !spend_budget()) return false;
            item_.emplace(q_.get_nowait());
            return true;
        }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
            slow_ = q_.get_slow();
            return slow_.operator co_await().await_suspend(h);
        }
        T await_resume() {
            if (item_) return std::move(*item_);
            return slow_.operator co_await().await_resume();
        }
        // For create_task(q.get()) and gather(): the operation as a coroutine.
        Task<T> as_task() && { return q_.get_slow(); }

      private:
        BasicQueue& q_;
        std::optional<T> item_;
        Task<T> slow_;
    };

    static bool spend_budget() noexcept {
        EventLoop* loop = running_loop;
        return !loop || loop->spend_budget();
    }

    Task<> put_slow(T item) {
        while (full()) {
            check_not_shut_down();
            WaitList::Waiter w(putters_);
            try {
                co_await w;
            } catch (const CancelledError&) {
                // Woken for a free slot but cancelled: the slot goes to the next putter.
                if (!full() && w.woken()) putters_.wake_first(true);
                throw;
            }
            check_not_shut_down();
        }
        put_nowait(std::move(item));
    }

    Task<T> get_slow() {
        while (empty()) {
            check_not_shut_down();
            WaitList::Waiter w(getters_);
            try {
                co_await w;
            } catch (const CancelledError&) {
                // Woken for an item but cancelled: the item goes to the next getter.
                if (!empty() && w.woken()) getters_.wake_first(true);
                throw;
            }
        }
        co_return get_nowait();
    }

    Storage items_;
};

}  // namespace detail

template <class T>
using Queue = detail::BasicQueue<T, detail::FifoStorage<T>>;
template <class T>
using LifoQueue = detail::BasicQueue<T, detail::LifoStorage<T>>;
template <class T, class Compare = std::less<T>>
using PriorityQueue = detail::BasicQueue<T, detail::HeapStorage<T, Compare>>;

}  // namespace aio
