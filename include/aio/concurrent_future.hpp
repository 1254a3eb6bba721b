// Handing a coroutine to a loop from another thread (asyncio.run_coroutine_threadsafe): the
// coroutine becomes a task on that loop, and the calling thread gets a ConcurrentFuture
// (concurrent.futures.Future) it may block on, poll, or cancel. If the loop closes before the
// task has finished, the future says so (RuntimeError) rather than leaving its waiter blocked.
#pragma once
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "aio/errors.hpp"
#include "aio/loop.hpp"
#include "aio/task.hpp"
#include "aio/tasks.hpp"

namespace aio {

namespace detail {
// What the future's holder and the loop share. Completed once; later outcomes are ignored.
template <class T>
struct ConcurrentState {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    bool cancelled = false;
    std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value{};
    std::exception_ptr error;
    EventLoop* loop = nullptr;
    // The task while it exists (on the loop's thread only; not a reference, which would make a
    // cycle through its done callback).
    TaskBase* task = nullptr;

    template <class F>
    void complete(F&& set) {
        {
            std::lock_guard lock(mutex);
            if (done) return;
            set();
            done = true;
        }
        cv.notify_all();
    }
    void abandon() {
        complete([this] {
            error = std::make_exception_ptr(
                RuntimeError("the event loop closed before the coroutine finished"));
        });
    }
};

// Owns the state on the loop's side: if what holds it is destroyed without having completed
// the future (the loop dropped the callback or the pending task), the future is abandoned.
template <class T>
struct Completion {
    std::shared_ptr<ConcurrentState<T>> state;
    explicit Completion(std::shared_ptr<ConcurrentState<T>> s) noexcept : state(std::move(s)) {}
    Completion(Completion&&) noexcept = default;
    Completion& operator=(Completion&&) noexcept = default;
    ~Completion() {
        if (!state) return;
        state->task = nullptr;
        state->abandon();
    }
};
}  // namespace detail

template <class T>
class ConcurrentFuture {
  public:
    explicit ConcurrentFuture(std::shared_ptr<detail::ConcurrentState<T>> state) noexcept
        : state_(std::move(state)) {}

    bool done() const {
        std::lock_guard lock(state_->mutex);
        return state_->done;
    }
    bool cancelled() const {
        std::lock_guard lock(state_->mutex);
        return state_->cancelled;
    }
    void wait() const {
        std::unique_lock lock(state_->mutex);
        state_->cv.wait(lock, [&] { return state_->done; });
    }
    // True if done within the timeout.
    template <class Rep, class Period>
    bool wait_for(std::chrono::duration<Rep, Period> timeout) const {
        std::unique_lock lock(state_->mutex);
        return state_->cv.wait_for(lock, timeout, [&] { return state_->done; });
    }
    // Blocks until done; the task's value, or its exception (CancelledError if it was
    // cancelled). Like std::future::get, once.
    T get() {
        wait();
        std::lock_guard lock(state_->mutex);
        if (state_->error) std::rethrow_exception(state_->error);
        if constexpr (!std::is_void_v<T>) return std::move(*state_->value);
    }
    // Asks the loop to cancel the task (from any thread); false if already done. The future is
    // cancelled once the task has ended so.
    bool cancel() {
        if (done()) return false;
        auto state = state_;
        EventLoop::post_if_alive(state->loop, new detail::CallbackImpl(state->loop, [state] {
                                     if (state->task) state->task->cancel({});
                                 }));
        return true;
    }

  private:
    std::shared_ptr<detail::ConcurrentState<T>> state_;
};

// asyncio.run_coroutine_threadsafe(coro, loop): from any thread. RuntimeError if the loop is
// closed.
template <class T>
ConcurrentFuture<T> run_coroutine_threadsafe(Task<T> coro, EventLoop& loop) {
    auto state = std::make_shared<detail::ConcurrentState<T>>();
    state->loop = &loop;
    loop.call_soon_threadsafe(
        [completion = detail::Completion<T>(state), coro = std::move(coro)]() mutable {
            auto task = get_running_loop().create_task(std::move(coro));
            completion.state->task = task.state_ptr();
            task.add_done_callback(
                [completion = std::move(completion)](const TaskHandle<T>& t) mutable {
                    auto state = std::exchange(completion.state, nullptr);
                    state->task = nullptr;
                    state->complete([&] {
                        try {
                            t.state_ptr()->check_result();
                            if constexpr (!std::is_void_v<T>)
                                state->value.emplace(t.state_ptr()->slot.take());
                        } catch (const CancelledError&) {
                            state->cancelled = true;
                            state->error = std::current_exception();
                        } catch (...) {
                            state->error = std::current_exception();
                        }
                    });
                });
        });
    return ConcurrentFuture<T>(std::move(state));
}

}  // namespace aio
