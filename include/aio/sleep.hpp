// aio::sleep (asyncio.sleep): suspends the task for a duration. sleep(0) yields to the loop once,
// letting every other ready task run. The timer node lives in the awaiting frame: sleeping
// allocates nothing.
#pragma once
#include <chrono>
#include <coroutine>

#include "aio/detail/task_base.hpp"
#include "aio/detail/timer_heap.hpp"
#include "aio/loop.hpp"
#include "aio/task.hpp"
#include "aio/time.hpp"

namespace aio {

namespace detail {

Task<> sleep_task(Duration delay);

class [[nodiscard]] SleepAwaiter : Suspension, TimerNode {
  public:
    explicit SleepAwaiter(Duration delay) noexcept : Suspension(&cancel_wait), TimerNode(&expired) {
        when = TimePoint(delay);  // the delay, until the deadline is known at suspension
    }
    SleepAwaiter(const SleepAwaiter&) = delete;
    ~SleepAwaiter() {
        if (in_heap()) task_->loop().remove_timer(this);
    }

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume() {
        if (state_ == State::cancelled) task_->throw_cancelled();
        task_->throw_if_cancel_pending();
    }
    // For create_task(aio::sleep(d)), wait_for, gather and shield. (Before suspension `when`
    // holds the delay.)
    Task<> as_task() && { return sleep_task(when.time_since_epoch()); }

  private:
    enum class State : unsigned char { waiting, cancelled, done };
    // Timer expiry runs from the ready queue, then wakes the task: the same two loop hops as
    // asyncio's call_later -> future.set_result -> task wake-up, so output order matches.
    static void expired(Runnable* r, bool discard) noexcept;
    static bool cancel_wait(Suspension* s, TaskBase& task) noexcept;

    TaskBase* task_ = nullptr;
    State state_ = State::waiting;
};

}  // namespace detail

// co_await aio::sleep(d). A negative delay is sleep(0), as in asyncio; one beyond the clock's
// range throws std::out_of_range.
template <class Rep, class Period>
detail::SleepAwaiter sleep(std::chrono::duration<Rep, Period> delay) {
    const Duration d = detail::to_duration(delay, "sleep");
    return detail::SleepAwaiter(std::max(d, Duration::zero()));
}

}  // namespace aio
