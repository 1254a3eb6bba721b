// Handing a coroutine to a loop from another thread (asyncio.run_coroutine_threadsafe): the
// coroutine becomes a task on that loop, and the calling thread gets a ConcurrentFuture
// (concurrent.futures.Future) it may block on, poll, or cancel. If the loop closes before the
// task has finished, the future says so (RuntimeError) rather than leaving its waiter blocked.
#pragma once
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "aio/errors.hpp"
#include "aio/executor.hpp"
#include "aio/future.hpp"
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
    std::vector<std::function<void()>> callbacks;  // run once done, on the completing thread

    template <class F>
    void complete(F&& set) {
        std::vector<std::function<void()>> to_run;
        {
            std::lock_guard lock(mutex);
            if (done) return;
            set();
            done = true;
            to_run.swap(callbacks);
        }
        cv.notify_all();
        for (auto& f : to_run)
            f();
    }
    // f() once done: at once if it is, else on the thread that completes it.
    void add_done_callback(std::function<void()> f) {
        {
            std::lock_guard lock(mutex);
            if (!done) {
                callbacks.push_back(std::move(f));
                return;
            }
        }
        f();
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

    // For create_task, gather, wait_for, race...: awaited on the running loop (wrap_future).
    Task<T> as_task() &&;

  private:
    template <class U>
    friend Future<U> wrap_future(ConcurrentFuture<U> cf);
    std::shared_ptr<detail::ConcurrentState<T>> state_;
};

// asyncio.wrap_future: a Future on the running loop that completes as `cf` does (it takes the
// value, as get() does), so a task can await what another thread's loop computes. Cancelling
// the Future cancels cf.
template <class T>
Future<T> wrap_future(ConcurrentFuture<T> cf) {
    EventLoop& loop = get_running_loop();
    Future<T> fut(loop);
    auto state = cf.state_;
    // Counted as a thread call: on virtual time, the loop waits for the other thread instead of
    // calling it a deadlock.
    detail::thread_call_started(loop);
    auto* arrival = new detail::CallbackImpl(&loop, [fut, state]() mutable {
        detail::thread_call_finished(fut.get_loop());
        if (fut.done()) return;  // cancelled meanwhile
        std::unique_lock lock(state->mutex);
        if (state->cancelled) {
            lock.unlock();
            fut.cancel();
        } else if (state->error) {
            auto error = state->error;
            lock.unlock();
            fut.set_exception(std::move(error));
        } else if constexpr (std::is_void_v<T>) {
            lock.unlock();
            fut.set_result();
        } else {
            T value = std::move(*state->value);
            lock.unlock();
            fut.set_result(std::move(value));
        }
    });
    state->add_done_callback([arrival] { EventLoop::post_if_alive(arrival->loop, arrival); });
    fut.add_done_callback([cf](const Future<T>& f) mutable {
        if (f.cancelled()) cf.cancel();
    });
    return fut;
}

namespace detail {
template <class T>
Task<T> await_concurrent(ConcurrentFuture<T> cf) {
    co_return co_await wrap_future(std::move(cf));
}
}  // namespace detail

template <class T>
Task<T> ConcurrentFuture<T>::as_task() && {
    return detail::await_concurrent(std::move(*this));
}

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
