// aio::Future<T>: asyncio.Future, a result that arrives later, for bridging callback-style code
// into coroutines. FutureApi<T, State> is the surface Future and TaskHandle share: done(),
// result(), exception(), cancel(), add_done_callback(), and co_await.
#pragma once
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "aio/detail/allocator.hpp"
#include "aio/detail/future_base.hpp"
#include "aio/detail/task_base.hpp"
#include "aio/detail/value_slot.hpp"
#include "aio/errors.hpp"
#include "aio/loop.hpp"

namespace aio {

namespace detail {

template <class T>
class FutureState : public FutureBase, public PoolAllocated {
  public:
    using value_type = T;
    using FutureBase::FutureBase;
    template <class... U>
    void set_result(U&&... v) {
        check_settable();
        slot.set(std::forward<U>(v)...);
        complete(nullptr, false);
    }
    void set_exception(std::exception_ptr e) {
        if (!e) throw std::invalid_argument("set_exception: null exception");
        if (is_cancelled_error(e))
            throw std::invalid_argument("set_exception: use cancel() for a CancelledError");
        check_settable();
        complete(std::move(e), false);
    }
    std::string describe() const override { return "Future"; }
    [[no_unique_address]] ValueSlot<T> slot;

  private:
    void check_settable() const {
        if (done()) throw InvalidStateError("invalid state: the future is already done");
        check_loop_open();
    }
};

// The value of a finished future for one more reader: copied when possible, so that every
// reader sees it (asyncio hands out the same object); moved out for move-only types.
template <class State>
decltype(auto) copy_or_take(State& s) {
    s.check_result();
    using Slot = decltype(s.slot);
    if constexpr (requires { s.slot.value; }) {
        using V = typename decltype(Slot::value)::value_type;
        if constexpr (std::is_copy_constructible_v<V>)
            return V(s.slot.get());
        else
            return s.slot.take();
    } else {
        return s.slot.get();
    }
}

// The awaiter for anything future-like: completes with the value, or throws its exception.
// Cancelling the awaiting task cancels the awaited future, as in asyncio.
template <class State, bool Move>
class [[nodiscard]] FutureAwaiter : Suspension, DoneWaiter {
  public:
    explicit FutureAwaiter(State* s) noexcept
        : Suspension(&cancel_wait), DoneWaiter(&on_done), state_(s) {}
    ~FutureAwaiter() {
        if (linked()) state_->remove_waiter(this);
    }
    bool await_ready() const noexcept { return state_->done(); }
    void await_suspend(std::coroutine_handle<> h) {
        task_ = &current_task_for_await();
        state_->add_waiter(this);
        task_->suspend(h, this);
    }
    decltype(auto) await_resume() {
        if (task_) task_->throw_if_cancel_pending();
        state_->check_result();
        if constexpr (Move)
            return state_->slot.take();
        else
            return state_->slot.get();
    }

  private:
    static void on_done(DoneWaiter* w) noexcept { static_cast<FutureAwaiter*>(w)->task_->wake(); }
    static bool cancel_wait(Suspension* s, TaskBase& task) noexcept {
        auto* self = static_cast<FutureAwaiter*>(s);
        try {
            return self->state_->cancel(task.cancel_message());
        } catch (...) {
            return false;
        }
    }
    State* state_;
    TaskBase* task_ = nullptr;
};

// What add_done_callback returns, for remove_done_callback (C++ callables cannot be compared,
// as asyncio compares the functions).
enum class DoneCallbackId : std::uint64_t {};

// A heap callback registered with add_done_callback: scheduled (call_soon) when the future
// completes, so it runs on a later iteration, exactly as asyncio runs done callbacks.
class DoneCallbackBase : public DoneWaiter, public Runnable, public PoolAllocated {
  public:
    DoneCallbackId id() const noexcept { return id_; }
    // Takes the callback `id` off fut's list and drops it; false if it is not there (already
    // scheduled because fut is done, or removed).
    static bool remove(FutureBase* fut, DoneCallbackId id) noexcept;

  protected:
    DoneCallbackBase(FutureBase* fut, Runnable::Fn run) noexcept;
    ~DoneCallbackBase();
    // Lists it on fut, or schedules it if fut is done.
    void list() noexcept;
    void report(std::exception_ptr error) noexcept;

  private:
    static void on_done(DoneWaiter* w) noexcept;
    FutureBase* fut_;
    DoneCallbackId id_;
};

template <class F>
class DoneCallback final : public DoneCallbackBase {
  public:
    // f() runs on the loop soon after fut completes.
    static DoneCallbackId attach(FutureBase* fut, F f) {
        auto* cb = new DoneCallback(fut, std::move(f));
        cb->list();
        return cb->id();
    }

  private:
    DoneCallback(FutureBase* fut, F f) : DoneCallbackBase(fut, &run), f_(std::move(f)) {}
    static void run(Runnable* r, bool discard) noexcept {
        auto* self = static_cast<DoneCallback*>(r);
        if (!discard) {
            try {
                self->f_();
            } catch (...) {
                self->report(std::current_exception());
            }
        }
        delete self;
    }
    F f_;
};

// The asyncio.Future surface shared by Future<T> and TaskHandle<T>. Handles are reference
// counted and cheap to copy; all copies refer to the same future.
template <class T, class State, class Self>
class FutureApi {
  public:
    using value_type = T;
    FutureApi() noexcept = default;
    explicit FutureApi(State* s) noexcept : s_(s) {
        if (s_) s_->retain();
    }
    FutureApi(const FutureApi& o) noexcept : FutureApi(o.s_) {}
    FutureApi(FutureApi&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    FutureApi& operator=(FutureApi o) noexcept {
        std::swap(s_, o.s_);
        return *this;
    }
    ~FutureApi() {
        if (s_) s_->release();
    }

    bool valid() const noexcept { return s_ != nullptr; }
    bool done() const { return state().done(); }
    bool cancelled() const { return state().cancelled(); }
    // Requests cancellation; false if already done.
    bool cancel() { return state().cancel({}); }
    bool cancel(std::string msg) { return state().cancel(std::move(msg)); }

    // The value; rethrows the exception; CancelledError if cancelled; InvalidStateError while
    // pending (asyncio Future.result()).
    decltype(auto) result() const {
        state().check_result();
        return state().slot.get();
    }
    // asyncio Future.exception().
    std::exception_ptr exception() const { return state().exception(); }

    // asyncio add_done_callback: f(handle) runs on the loop soon after completion. The id is
    // for remove_done_callback.
    template <class F>
    DoneCallbackId add_done_callback(F f) {
        State* s = &state();
        auto call = [f = std::move(f), self = Self(s)]() mutable { f(self); };
        return DoneCallback<decltype(call)>::attach(s, std::move(call));
    }
    // asyncio remove_done_callback: 1 if the callback was still listed (it will not run), 0 if
    // not (it has run, is already scheduled because the future is done, or was removed).
    std::size_t remove_done_callback(DoneCallbackId id) {
        return DoneCallbackBase::remove(&state(), id) ? 1 : 0;
    }

    EventLoop& get_loop() const { return state().loop(); }

    // co_await handle: the value (copied; co_await std::move(handle) moves it out).
    auto operator co_await() const& { return FutureAwaiter<State, false>(&state()); }
    auto operator co_await() && { return FutureAwaiter<State, !std::is_void_v<T>>(&state()); }

    State* state_ptr() const noexcept { return s_; }
    friend bool operator==(const FutureApi& a, const FutureApi& b) noexcept { return a.s_ == b.s_; }

  protected:
    State& state() const {
        if (!s_) throw InvalidStateError("use of an empty (moved-from) future handle");
        return *s_;
    }
    State* s_ = nullptr;
};

}  // namespace detail

template <class T = void>
class Future : public detail::FutureApi<T, detail::FutureState<T>, Future<T>> {
    using Base = detail::FutureApi<T, detail::FutureState<T>, Future<T>>;

  public:
    // A new pending future on the running loop (asyncio: loop.create_future()).
    Future() : Future(get_running_loop()) {}
    explicit Future(EventLoop& loop) : Base(new detail::FutureState<T>(&loop)) {
        loop.check_open();
    }
    explicit Future(detail::FutureState<T>* s) noexcept : Base(s) {}

    // asyncio Future.set_result / set_exception: InvalidStateError if already done.
    template <class... U>
    void set_result(U&&... v) {
        this->state().set_result(std::forward<U>(v)...);
    }
    void set_exception(std::exception_ptr e) { this->state().set_exception(std::move(e)); }
};

template <class T>
Future<T> EventLoop::create_future() {
    return Future<T>(*this);
}

}  // namespace aio
