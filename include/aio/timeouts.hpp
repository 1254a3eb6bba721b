// Timeouts and shielding (asyncio.timeouts, asyncio.wait_for, asyncio.shield), with asyncio
// 3.11+ semantics: a timeout cancels the task it runs in and, on the way out, turns that one
// CancelledError into TimeoutError, deciding "was this mine?" by the task's cancel count, so
// nested timeouts and task groups compose.
//
//   auto cm = aio::timeout(10s);          // async with asyncio.timeout(10) as cm:
//   co_await cm.run(long_running());      //     await long_running()
//   if (cm.expired()) ...
#pragma once
#include <chrono>
#include <optional>
#include <type_traits>

#include "aio/detail/task_base.hpp"
#include "aio/errors.hpp"
#include "aio/future.hpp"
#include "aio/loop.hpp"
#include "aio/task.hpp"
#include "aio/tasks.hpp"

namespace aio {

// asyncio.Timeout. Not copyable or movable: a running body refers to it.
class Timeout {
  public:
    // A deadline on the loop's clock; nullopt: no deadline (yet).
    explicit Timeout(std::optional<TimePoint> when) noexcept : when_(when) {}
    Timeout(const Timeout&) = delete;
    Timeout& operator=(const Timeout&) = delete;
    ~Timeout() { handler_.cancel(); }

    std::optional<TimePoint> when() const noexcept { return when_; }
    // Moves the deadline (nullopt: none). Only while the body runs (RuntimeError otherwise).
    void reschedule(std::optional<TimePoint> when);
    // Whether the deadline passed and the body was cancelled because of it.
    bool expired() const noexcept { return state_ == State::expiring || state_ == State::expired; }

    // `async with timeout: return await body`: runs body in the current task under the deadline;
    // TimeoutError if the deadline cancelled it. One use per Timeout.
    template <class T>
    Task<T> run(Task<T> body);

  private:
    enum class State : unsigned char { created, entered, expiring, expired, exited };
    void enter();
    // Leaves the scope; true when the body's CancelledError must become TimeoutError.
    bool exit(bool cancelled_error) noexcept;
    void on_timeout() noexcept;

    std::optional<TimePoint> when_;
    Handle handler_;
    detail::TaskBase* task_ = nullptr;
    int cancelling_ = 0;
    State state_ = State::created;
};

// asyncio.timeout(delay): a deadline `delay` from now. A delay <= 0 expires at once.
template <class Rep, class Period>
Timeout timeout(std::chrono::duration<Rep, Period> delay) {
    EventLoop& loop = get_running_loop();
    return Timeout(detail::deadline_or_now(loop.time(), delay, "timeout"));
}
// asyncio.timeout(None): no deadline until reschedule().
inline Timeout timeout(std::nullopt_t) noexcept {
    return Timeout(std::nullopt);
}
// asyncio.timeout_at(when).
inline Timeout timeout_at(std::optional<TimePoint> when) noexcept {
    return Timeout(when);
}

template <class T>
Task<T> Timeout::run(Task<T> body) {
    enter();
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(body);
            exit(false);
        } else {
            T value = co_await std::move(body);
            exit(false);
            co_return value;
        }
    } catch (const CancelledError&) {
        if (exit(true)) throw TimeoutError();
        throw;
    } catch (...) {
        exit(false);
        throw;
    }
}

namespace detail {
template <class T>
Task<T> await_handle(TaskHandle<T> h) {
    co_return co_await std::move(h);
}
template <class T>
Task<T> await_future(Future<T> f) {
    co_return co_await std::move(f);
}
// Cancels the task and waits for it to finish (wait_for with a deadline already passed).
Task<> cancel_and_wait(AnyTask task);
}  // namespace detail

// asyncio.wait_for(aw, timeout): the awaitable's value, or TimeoutError after `delay` (the
// awaitable is cancelled then). A delay <= 0 times out at once, without running a Task's body.
template <class T, class Rep, class Period>
Task<T> wait_for(TaskHandle<T> task, std::chrono::duration<Rep, Period> delay) {
    if (detail::to_duration(delay, "wait_for") <= Duration::zero()) {
        if (!task.done()) {
            // Awaitables are named before co_await: g++ 12 mishandles temporaries there.
            Task<> cancelling = detail::cancel_and_wait(AnyTask(task.state_ptr()));
            co_await std::move(cancelling);
            if (task.cancelled()) throw TimeoutError();
        }
        co_return co_await std::move(task);
    }
    auto cm = timeout(delay);
    Task<T> body = detail::await_handle(std::move(task));
    co_return co_await cm.run(std::move(body));
}
template <class T, class Rep, class Period>
Task<T> wait_for(Task<T> coro, std::chrono::duration<Rep, Period> delay) {
    if (detail::to_duration(delay, "wait_for") <= Duration::zero()) {
        Task<T> waiting = wait_for(create_task(std::move(coro)), delay);
        co_return co_await std::move(waiting);
    }
    auto cm = timeout(delay);
    Task<T> body = cm.run(std::move(coro));
    co_return co_await std::move(body);
}
// Any other awaitable: a future (cancelled at the timeout, as asyncio's), aio::sleep(), a
// queue's get() or put(), a stream's read(n) or drain().
template <class T, class Rep, class Period>
Task<T> wait_for(Future<T> future, std::chrono::duration<Rep, Period> delay) {
    return wait_for(detail::await_future(std::move(future)), delay);
}
template <TaskConvertible A, class Rep, class Period>
auto wait_for(A awaitable, std::chrono::duration<Rep, Period> delay) {
    return wait_for(std::move(awaitable).as_task(), delay);
}
// asyncio.wait_for(aw, timeout=None): no time limit (a nullopt delay).
template <class A>
auto wait_for(A awaitable, std::optional<Duration> delay) {
    if constexpr (TaskConvertible<A>) {
        return wait_for(std::move(awaitable).as_task(), delay);
    } else {
        using Awaited = decltype(wait_for(std::move(awaitable), Duration::zero()));
        return [](A aw, std::optional<Duration> d) -> Awaited {
            if (d) co_return co_await wait_for(std::move(aw), *d);
            co_return co_await std::move(aw);
        }(std::move(awaitable), delay);
    }
}

namespace detail {

// shield: waits for `inner` but, when the awaiting task is cancelled, leaves inner running. Two
// loop hops from inner's completion to the waiter, as asyncio's outer future takes.
template <class T>
class [[nodiscard]] ShieldAwaiter : Suspension, DoneWaiter, Runnable {
  public:
    explicit ShieldAwaiter(TaskHandle<T> inner) noexcept
        : Suspension(&cancel_wait),
          DoneWaiter(&on_done),
          Runnable(&relay),
          inner_(std::move(inner)) {}
    ~ShieldAwaiter() { inner_.state_ptr()->remove_waiter(this); }
    bool await_ready() const { return inner_.done(); }
    void await_suspend(std::coroutine_handle<> h) {
        task_ = &current_task_for_await();
        inner_.state_ptr()->add_waiter(this);
        task_->suspend(h, this);
    }
    T await_resume() {
        if (task_) {
            if (state_ == State::cancelled) task_->throw_cancelled();
            task_->throw_if_cancel_pending();
        }
        return copy_or_take(*inner_.state_ptr());
    }

  private:
    enum class State : unsigned char { waiting, relaying, woken, cancelled };
    static void on_done(DoneWaiter* w) noexcept {
        auto* self = static_cast<ShieldAwaiter*>(w);
        self->state_ = State::relaying;
        self->task_->loop().schedule(static_cast<Runnable*>(self));
    }
    static void relay(Runnable* r, bool) noexcept {
        auto* self = static_cast<ShieldAwaiter*>(r);
        if (self->state_ == State::cancelled) {  // nobody will look at inner's outcome now
            if (!self->inner_.cancelled()) self->inner_.state_ptr()->mark_retrieved();
            return;
        }
        self->state_ = State::woken;
        self->task_->wake();
    }
    static bool cancel_wait(Suspension* s, TaskBase&) noexcept {
        auto* self = static_cast<ShieldAwaiter*>(s);
        if (self->state_ != State::waiting && self->state_ != State::relaying) return false;
        self->inner_.state_ptr()->remove_waiter(self);
        self->state_ = State::cancelled;
        self->task_->wake();  // behind the relay node if that is queued, so it runs first
        return true;
    }

    TaskHandle<T> inner_;
    TaskBase* task_ = nullptr;
    State state_ = State::waiting;
};

}  // namespace detail

// asyncio.shield(aw): co_await shield(task) returns task's value, but cancelling the awaiting
// task does not cancel `task`. Shielding a Task<T> first makes it a task, as asyncio does.
template <class T>
detail::ShieldAwaiter<T> shield(TaskHandle<T> task) {
    return detail::ShieldAwaiter<T>(std::move(task));
}
template <class T>
detail::ShieldAwaiter<T> shield(Task<T> coro) {
    return detail::ShieldAwaiter<T>(create_task(std::move(coro)));
}
template <TaskConvertible A>
auto shield(A awaitable) {
    return shield(std::move(awaitable).as_task());
}

}  // namespace aio
