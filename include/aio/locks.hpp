// Synchronization primitives (asyncio.locks): Event, Lock, Semaphore, BoundedSemaphore,
// Condition, Barrier. Waiters are served first come, first served, with asyncio's exact rules; a
// waiter that is woken and then cancelled passes its wake-up on, so none is ever lost.
// Not thread-safe, like asyncio's: use them from the loop's thread.
#pragma once
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "aio/detail/wait_list.hpp"
#include "aio/task.hpp"

namespace aio {

// asyncio.Event: wait() until set().
class Event {
  public:
    bool is_set() const noexcept { return value_; }
    // Wakes every waiter; later wait()s return at once until clear().
    void set() noexcept;
    void clear() noexcept { value_ = false; }
    Task<> wait();

    struct Statistics {
        std::size_t waiters;
        bool set;
    };
    Statistics statistics() const noexcept { return {waiters_.live(), value_}; }

  private:
    detail::WaitList waiters_;
    bool value_ = false;
};

// asyncio.Lock. `co_await lock.acquire(); ... lock.release();`, or scoped:
// `auto held = co_await lock.scoped();` releases when `held` goes out of scope.
class Lock {
  public:
    class Guard;
    Task<> acquire();
    // RuntimeError if not locked.
    void release();
    bool locked() const noexcept { return locked_; }
    Task<Guard> scoped();

    struct Statistics {
        std::size_t waiters;
        bool locked;
    };
    Statistics statistics() const noexcept { return {waiters_.live(), locked_}; }

  private:
    void wake_up_first() noexcept { waiters_.wake_head(); }
    detail::WaitList waiters_;
    bool locked_ = false;
};

class Lock::Guard {
  public:
    explicit Guard(Lock& lock) noexcept : lock_(&lock) {}
    Guard(Guard&& o) noexcept : lock_(std::exchange(o.lock_, nullptr)) {}
    Guard& operator=(Guard&&) = delete;
    // Releases the lock, unless it was released by hand meanwhile (a destructor cannot throw).
    ~Guard() {
        if (lock_ && lock_->locked()) lock_->release();
    }

  private:
    Lock* lock_;
};

// asyncio.Semaphore: at most `value` holders at once.
class Semaphore {
  public:
    class Guard;
    // std::invalid_argument for a negative value.
    explicit Semaphore(long value = 1);
    Task<> acquire();
    void release();
    // `async with semaphore:` — `auto held = co_await semaphore.scoped();` releases the permit
    // when `held` goes out of scope.
    Task<Guard> scoped();
    // No permit is free (or waiters are queued ahead).
    bool locked() const noexcept { return value_ == 0 || waiters_.live() > 0; }
    long value() const noexcept { return value_; }

    struct Statistics {
        std::size_t waiters;
        long value;
    };
    Statistics statistics() const noexcept { return {waiters_.live(), value_}; }

  protected:
    bool wake_up_next() noexcept;
    detail::WaitList waiters_;
    long value_;
};

class Semaphore::Guard {
  public:
    explicit Guard(Semaphore& semaphore) noexcept : semaphore_(&semaphore) {}
    Guard(Guard&& o) noexcept : semaphore_(std::exchange(o.semaphore_, nullptr)) {}
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
        if (semaphore_) semaphore_->release();
    }

  private:
    Semaphore* semaphore_;
};

// asyncio.BoundedSemaphore: releasing more than acquired throws std::invalid_argument
// (Python's ValueError).
class BoundedSemaphore : public Semaphore {
  public:
    explicit BoundedSemaphore(long value = 1) : Semaphore(value), bound_(value) {}
    void release();

  private:
    long bound_;
};

// asyncio.Condition: wait for a notification, with a Lock held around it. Uses its own Lock,
// or one shared with others.
class Condition {
  public:
    Condition() : own_(std::make_unique<Lock>()), lock_(own_.get()) {}
    explicit Condition(Lock& lock) noexcept : lock_(&lock) {}

    Task<> acquire() { return lock_->acquire(); }
    void release() { lock_->release(); }
    bool locked() const noexcept { return lock_->locked(); }
    Task<Lock::Guard> scoped() { return lock_->scoped(); }

    // Releases the lock, waits for notify(), reacquires the lock (even when cancelled).
    // RuntimeError unless the lock is held.
    Task<> wait();
    // Waits until predicate() is true; returns its last value, as asyncio does (a predicate
    // may return anything that tests as true or false: an optional, a pointer).
    template <class Predicate>
    Task<std::decay_t<std::invoke_result_t<Predicate&>>> wait_for(Predicate predicate) {
        auto result = predicate();
        while (!result) {
            co_await wait();
            result = predicate();
        }
        co_return result;
    }
    // Wakes up to n waiters (RuntimeError unless the lock is held).
    void notify(std::size_t n = 1);
    void notify_all() { notify(waiters_.size()); }

    struct Statistics {
        std::size_t waiters;
        bool locked;
    };
    Statistics statistics() const noexcept { return {waiters_.live(), locked()}; }

  private:
    std::unique_ptr<Lock> own_;
    Lock* lock_;
    detail::WaitList waiters_;
};

// asyncio.BrokenBarrierError.
class BrokenBarrierError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// asyncio.Barrier (3.11): `parties` tasks wait until all have arrived.
class Barrier {
  public:
    // std::invalid_argument unless parties >= 1.
    explicit Barrier(std::size_t parties);
    // Returns this task's arrival index (0 .. parties-1); BrokenBarrierError if the barrier is
    // broken or reset while waiting.
    Task<std::size_t> wait();
    // Back to the empty state; tasks waiting get BrokenBarrierError.
    Task<> reset();
    // Breaks the barrier: current and future wait()s get BrokenBarrierError.
    Task<> abort();
    std::size_t parties() const noexcept { return parties_; }
    std::size_t n_waiting() const noexcept { return state_ == State::filling ? count_ : 0; }
    bool broken() const noexcept { return state_ == State::broken; }

    struct Statistics {
        std::size_t parties;
        std::size_t waiting;
        bool broken;
    };
    Statistics statistics() const noexcept { return {parties_, n_waiting(), broken()}; }

  private:
    enum class State { filling, draining, resetting, broken };
    Task<> block();
    Task<> wait_released();
    void exit();

    Condition cond_;
    std::size_t parties_;
    std::size_t count_ = 0;
    State state_ = State::filling;
};

}  // namespace aio
