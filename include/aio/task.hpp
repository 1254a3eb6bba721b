// aio::Task<T>: a lazy coroutine, the counterpart of calling an `async def` function. Nothing
// runs until it is awaited (chaining coroutines: the caller transfers to it directly, no loop
// round trip) or handed to create_task(). Move-only; awaiting consumes it.
#pragma once
#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "aio/detail/allocator.hpp"
#include "aio/detail/task_base.hpp"
#include "aio/detail/value_slot.hpp"
#include "aio/errors.hpp"

namespace aio {

template <class T = void>
class Task;

namespace detail {

struct PromiseBase {
    // Frames come from the thread's recycling pool.
    static void* operator new(std::size_t size) { return pool_allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { pool_deallocate(p, size); }

    std::suspend_always initial_suspend() noexcept { return {}; }

    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept;
        void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { error = std::current_exception(); }

    std::coroutine_handle<> continuation;  // the coroutine awaiting us; null for a task's root
    std::exception_ptr error;
};

template <class T>
struct Promise : PromiseBase {
    Task<T> get_return_object() noexcept;
    template <class U = T>
    requires std::is_convertible_v<U&&, T>
    void return_value(U&& v) { slot.set(std::forward<U>(v)); }
    [[no_unique_address]] ValueSlot<T> slot;
};

template <>
struct Promise<void> : PromiseBase {
    Task<void> get_return_object() noexcept;
    void return_void() noexcept {}
    ValueSlot<void> slot;
};

// Transfers to `next` (a child being awaited, or the parent a child returns to) by symmetric
// transfer, unless the task has spent its coop budget (LoopOptions::coop_budget): then it
// continues at `next` on a later loop iteration. Both directions go through here, so a long
// chain of awaits and returns that complete at once keeps a bounded stack (EventLoop::chain_to)
// even where a compiler or a sanitizer does not make symmetric transfer a tail call.
inline std::coroutine_handle<> transfer_to(std::coroutine_handle<> next) noexcept {
    EventLoop* loop = running_loop;
    if (!loop) return next;
    if (!loop->spend_budget()) {
        if (TaskBase* task = loop->current_task()) {
            task->yield_at(next);
            return std::noop_coroutine();
        }
    }
    return loop->chain_to(next);
}

template <class P>
std::coroutine_handle<> PromiseBase::FinalAwaiter::await_suspend(
    std::coroutine_handle<P> h) noexcept {
    if (auto c = h.promise().continuation) return transfer_to(c);
    // The root of a task: the running task is its owner.
    return running_loop->current_task()->on_root_done();
}

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
  public:
    using promise_type = detail::Promise<T>;
    using value_type = T;
    static_assert(!std::is_reference_v<T>, "Task<T&> is not supported; return a pointer or value");

    Task() noexcept = default;
    explicit Task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
    Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    ~Task() { destroy(); }

    // False for a moved-from or default-constructed Task.
    bool valid() const noexcept { return static_cast<bool>(h_); }

    struct Awaiter {
        std::coroutine_handle<promise_type> h;
        bool await_ready() const {
            if (!h) throw InvalidStateError("co_await on an empty (moved-from) Task");
            if (h.done()) throw InvalidStateError("co_await on a Task that was already awaited");
            if (h.promise().continuation)
                throw InvalidStateError("co_await on a Task that another coroutine is awaiting");
            return false;
        }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
            h.promise().continuation = caller;
            return detail::transfer_to(h);
        }
        T await_resume() {
            auto& p = h.promise();
            if (p.error) std::rethrow_exception(p.error);
            return p.slot.take();
        }
    };
    Awaiter operator co_await() && noexcept { return Awaiter{h_}; }
    Awaiter operator co_await() & noexcept { return Awaiter{h_}; }

    // Gives up ownership of the frame (create_task takes it over).
    std::coroutine_handle<promise_type> release() noexcept { return std::exchange(h_, {}); }

  private:
    void destroy() noexcept {
        if (h_) h_.destroy();
    }
    std::coroutine_handle<promise_type> h_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace aio
