// Threads for the calls that can only block (asyncio's run_in_executor and to_thread): a
// ThreadPoolExecutor with a bounded number of workers, and coroutines that run a function on
// one and bring its result or exception back to the awaiting task. Threads cannot be
// interrupted: cancelling the awaiting task does not stop the function, whose result is then
// dropped; nothing the worker writes to belongs to the cancelled frame.
#pragma once
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "aio/future.hpp"
#include "aio/task.hpp"
#include "aio/time.hpp"

namespace aio {

class ThreadPoolExecutor {
  public:
    // max_workers 0: min(32, CPUs + 4), Python's default.
    explicit ThreadPoolExecutor(std::size_t max_workers = 0);
    // shutdown(true).
    ~ThreadPoolExecutor();
    ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
    ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

    // Runs job on a worker: an idle one, else a new one while there are fewer than
    // max_workers, else the first to be free. RuntimeError after shutdown.
    void submit(std::function<void()> job);
    // Takes no more jobs; with wait, returns once the queued jobs have run and the workers ended.
    void shutdown(bool wait = true);
    // shutdown(true) on a thread of its own, then `then` on that thread; the destructor (or a
    // shutdown with wait) waits for it. RuntimeError if one is already under way.
    void shutdown_in_background(std::function<void()> then);
    std::size_t max_workers() const noexcept;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

namespace detail {

// A call on a worker thread whose outcome returns to the loop as a threadsafe callback.
// F is kept as it is (not in a std::function), so move-only callables and arguments work.
template <class R, class F>
class ThreadCall final : public CallbackNode {
  public:
    ThreadCall(EventLoop& loop, Future<R> future, F fn)
        : CallbackNode(&loop), future_(std::move(future)), fn_(std::move(fn)) {}

    // On the worker.
    void run() noexcept {
        try {
            if constexpr (std::is_void_v<R>)
                (*fn_)();
            else
                value_.emplace((*fn_)());
        } catch (...) {
            error_ = std::current_exception();
        }
        fn_.reset();  // whatever the function holds is released on the worker
    }
    // On the loop.
    void invoke() override {
        thread_call_finished(*loop);
        if (future_.done()) return;  // the awaiting task was cancelled
        if (error_)
            future_.set_exception(error_);
        else if constexpr (std::is_void_v<R>)
            future_.set_result();
        else
            future_.set_result(std::move(*value_));
    }

  private:
    Future<R> future_;
    std::optional<F> fn_;
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> value_{};
    std::exception_ptr error_;
};

// Loop bookkeeping (a thread call is pending work, like I/O) and the hand-off.
void thread_call_started(EventLoop& loop) noexcept;
void thread_call_finished(EventLoop& loop) noexcept;
void submit_thread_call(ThreadPoolExecutor& executor, CallbackNode* call,
                        void (*run)(CallbackNode*));

// executor null: the running loop's default one (looked up when the task runs, as the call
// itself starts only then).
template <class R, class F>
Task<R> call_in_thread(ThreadPoolExecutor* executor, F fn) {
    EventLoop& loop = get_running_loop();
    if (!executor) executor = &loop.default_executor();
    Future<R> future(loop);
    auto* call = new ThreadCall<R, F>(loop, future, std::move(fn));
    submit_thread_call(*executor, call,
                       [](CallbackNode* c) noexcept { static_cast<ThreadCall<R, F>*>(c)->run(); });
    co_return co_await std::move(future);  // (moved out: move-only results work too)
}

}  // namespace detail

// Both take the function and its arguments by reference and copy (or move) them before
// returning: g++ 12 destroys by-value arguments of a call inside a co_await expression twice.
// Move-only functions and arguments work (pass them with std::move).

// loop.run_in_executor(executor, f): f() on one of executor's threads.
template <class F>
Task<std::invoke_result_t<std::decay_t<F>&>> run_in_executor(ThreadPoolExecutor& executor, F&& f) {
    using R = std::invoke_result_t<std::decay_t<F>&>;
    return detail::call_in_thread<R>(&executor, std::decay_t<F>(std::forward<F>(f)));
}

// The running loop's default executor (made on first use, shut down when the loop closes).
// RuntimeError after shutdown_default_executor.
ThreadPoolExecutor& default_executor();

// loop.set_default_executor: to_thread and run_in_executor(default_executor(), ...) use
// `executor` from now on; the running loop owns it. The one it replaces takes no new calls,
// finishes those it has, and is joined when the loop closes.
void set_default_executor(std::unique_ptr<ThreadPoolExecutor> executor);

// loop.shutdown_default_executor(timeout) (asyncio 3.12): the default executor takes no more
// calls (to_thread then raises RuntimeError) and this waits until its threads have finished
// what they were given. With a timeout that runs out first, the loop's exception handler is
// told (asyncio's RuntimeWarning) and this returns; the threads are joined when the loop closes.
// A later call returns at once.
Task<> shutdown_default_executor(std::optional<Duration> timeout = std::nullopt);

// asyncio.to_thread(f, args...): f(args...) on the default executor, in a copy of the caller's
// context (contextvars). As std::thread does, f and the arguments are copied or moved in and
// called once as rvalues, so move-only ones work.
template <class F, class... Args>
Task<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> to_thread(F&& f,
                                                                             Args&&... args) {
    using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
    std::optional<Context> context;
    if (detail::contexts_in_use.load(std::memory_order_relaxed)) context = copy_context();
    return detail::call_in_thread<R>(nullptr,
                                     [context = std::move(context), f = std::forward<F>(f),
                                      ... args = std::forward<Args>(args)]() mutable -> R {
                                         auto call = [&]() -> R {
                                             return std::invoke(std::move(f), std::move(args)...);
                                         };
                                         if (context) return context->run(call);
                                         return call();
                                     });
}

}  // namespace aio
