// The event loop (asyncio.AbstractEventLoop / BaseEventLoop): a FIFO ready queue, timers, and a
// backend that waits for I/O or the next timer. One loop per thread; everything but
// call_soon_threadsafe must be called on the loop's own thread.
#pragma once
#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "aio/context.hpp"
#include "aio/detail/allocator.hpp"
#include "aio/detail/loop_resource.hpp"
#include "aio/detail/runnable.hpp"
#include "aio/detail/timer_heap.hpp"
#include "aio/errors.hpp"
#include "aio/time.hpp"

namespace aio {

class EventLoop;
template <class T>
class Task;
template <class T>
class TaskHandle;
template <class T>
class Future;
class ThreadPoolExecutor;

namespace detail {
class TaskBase;
class Backend;
class FdCallbacks;
class SignalTable;
void thread_call_started(EventLoop& loop) noexcept;
void thread_call_finished(EventLoop& loop) noexcept;

// A callback from call_soon / call_later / call_at: asyncio's Handle and TimerHandle.
class CallbackNode : public TimerNode, public PoolAllocated {
  public:
    explicit CallbackNode(EventLoop* loop) noexcept : TimerNode(&dispatch), loop(loop) {}
    virtual ~CallbackNode() = default;
    virtual void invoke() = 0;
    void retain() noexcept { ++refs; }
    void release() noexcept {
        if (--refs == 0) delete this;
    }
    static void dispatch(Runnable* r, bool discard) noexcept;

    EventLoop* loop;
    unsigned refs = 1;  // the loop's, while scheduled
    bool cancelled = false;
};

template <class F>
class CallbackImpl final : public CallbackNode {
  public:
    CallbackImpl(EventLoop* loop, F f) : CallbackNode(loop), f_(std::move(f)) {}
    void invoke() override { f_(); }

  private:
    F f_;
};

inline thread_local EventLoop* running_loop = nullptr;

// How deep (in bytes of stack) a task step may go through chained awaits before the chain is
// unwound and continued from the step (TaskBase::step's trampoline). Compilers that turn
// symmetric transfer into a tail call never get there; -O0 and sanitizer builds would
// otherwise overflow the stack on long chains of awaits that complete at once.
inline constexpr std::uintptr_t kMaxChainStack = 256 * 1024;
}  // namespace detail

// asyncio.Handle: a scheduled callback that can be cancelled.
class Handle {
  public:
    Handle() = default;
    explicit Handle(detail::CallbackNode* node) noexcept : node_(node) {
        if (node_) node_->retain();
    }
    Handle(const Handle& o) noexcept : Handle(o.node_) {}
    Handle(Handle&& o) noexcept : node_(std::exchange(o.node_, nullptr)) {}
    Handle& operator=(Handle o) noexcept {
        std::swap(node_, o.node_);
        return *this;
    }
    ~Handle() {
        if (node_) node_->release();
    }
    // Stops the callback from running (no effect once it ran).
    void cancel() noexcept;
    bool cancelled() const noexcept { return node_ && node_->cancelled; }

  protected:
    detail::CallbackNode* node_ = nullptr;
};

// asyncio.TimerHandle: a Handle from call_later / call_at.
class TimerHandle : public Handle {
  public:
    using Handle::Handle;
    TimePoint when() const noexcept { return node_ ? node_->when : TimePoint{}; }
};

// What the exception handler receives (asyncio's context dict).
struct ExceptionContext {
    std::string message;
    std::exception_ptr exception;
    std::string future;  // the task or future concerned, if any ("Task-3")
};
using ExceptionHandler = std::function<void(EventLoop&, const ExceptionContext&)>;

// Which kernel interface a loop's I/O goes through.
enum class BackendKind : unsigned char {
    automatic,  // AIO_BACKEND=io_uring|epoll if set, else io_uring when the kernel allows it
    io_uring,   // RuntimeError if the kernel does not allow it
    epoll,
};

struct LoopOptions {
    // Virtual time (for tests): when nothing is runnable, the clock jumps to the next timer.
    bool virtual_time = false;
    BackendKind backend = BackendKind::automatic;
    // Fairness, opt-in (Tokio's coop budget): a task that chains this many awaits that complete
    // at once (a non-empty queue's get(), a socket that always has data, a coroutine that
    // returns without suspending) yields to the loop. 0, the default, is asyncio's scheduling:
    // a task switch happens only where a task really suspends, which programs rely on for
    // atomicity.
    int coop_budget = 0;
};

// asyncio.eager_task_factory, for EventLoop::set_task_factory.
struct EagerTaskFactory {};
inline constexpr EagerTaskFactory eager_task_factory{};

struct TaskOptions {
    std::string name;    // default: "Task-N", as asyncio
    bool eager = false;  // asyncio 3.12 eager tasks: run at once until the first suspension
    // asyncio's context=: the task runs in this context (its set() calls stay there); default:
    // a copy of the creator's.
    std::optional<Context> context = std::nullopt;
};

class EventLoop {
  public:
    EventLoop() : EventLoop(LoopOptions{}) {}
    explicit EventLoop(LoopOptions options);
    // Closes the loop if it is not closed yet.
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // loop.time(): the loop's monotonic (or virtual) clock.
    TimePoint time() const noexcept;

    // loop.call_soon(callback): runs f after the callbacks already ready, in FIFO order.
    template <class F>
    Handle call_soon(F&& f) {
        auto* node = make_callback(std::forward<F>(f));
        Handle h(node);
        ready_.push(node);
        return h;
    }

    // loop.call_later(delay, callback). A negative delay is a time in the past, as in asyncio:
    // due at once, and before timers due later; one beyond the clock's range throws
    // std::out_of_range.
    template <class Rep, class Period, class F>
    TimerHandle call_later(std::chrono::duration<Rep, Period> delay, F&& f) {
        return call_at(detail::deadline_after(time(), delay, "call_later"), std::forward<F>(f));
    }

    // loop.call_at(when, callback).
    template <class F>
    TimerHandle call_at(TimePoint when, F&& f) {
        auto* node = make_callback(std::forward<F>(f));
        node->when = when;
        TimerHandle h(node);
        timers_.push(node);
        return h;
    }

    // loop.call_soon_threadsafe(callback): the one entry point other threads may call.
    template <class F>
    void call_soon_threadsafe(F&& f) {
        using Fn = std::decay_t<F>;
        auto* node = new detail::CallbackImpl<Fn>(this, Fn(std::forward<F>(f)));
        post_threadsafe(node);
    }

    // loop.create_task(coro): schedules the coroutine as a task (defined in tasks.hpp).
    template <class T>
    TaskHandle<T> create_task(Task<T> coro, TaskOptions options);
    template <class T>
    TaskHandle<T> create_task(Task<T> coro) {
        return spawn(std::move(coro), nullptr, false);
    }

    // loop.set_task_factory(asyncio.eager_task_factory): every task made from now on starts
    // eagerly (TaskOptions::eager); set_task_factory(nullptr) goes back to scheduled starts.
    // (C++ tasks are typed, so aio offers asyncio's one standard factory, not any callable.)
    void set_task_factory(EagerTaskFactory) noexcept { eager_tasks_ = true; }
    void set_task_factory(std::nullptr_t) noexcept { eager_tasks_ = false; }
    bool eager_tasks() const noexcept { return eager_tasks_; }

    // loop.create_future().
    template <class T = void>
    Future<T> create_future();

    // loop.run_forever() / loop.stop(): runs until stop() is called.
    void run_forever();
    void stop() noexcept { stopping_ = true; }

    // loop.run_until_complete(): runs until the task is done; returns its value or rethrows.
    template <class T>
    T run_until_complete(Task<T> coro);
    template <class T>
    T run_until_complete(TaskHandle<T> task);

    bool is_running() const noexcept { return running_; }
    bool is_closed() const noexcept { return closed_; }

    // loop.close(): the loop must not be running. Tasks still pending are destroyed (their
    // frames unwound without running further) and reported, as asyncio reports
    // "Task was destroyed but it is pending!"; pending callbacks are dropped.
    void close();

    void set_exception_handler(ExceptionHandler handler) { handler_ = std::move(handler); }
    const ExceptionHandler& get_exception_handler() const noexcept { return handler_; }
    void call_exception_handler(const ExceptionContext& context) noexcept;
    // Prints the context to stderr, as asyncio's default handler logs it.
    static void default_exception_handler(const ExceptionContext& context) noexcept;

    // The backend in use: "io_uring" or "epoll".
    const char* backend_name() const noexcept;

    // loop.add_reader(fd, callback) / add_writer: calls callback, as a ready callback, on every
    // iteration while fd is readable (writable), until remove_reader (remove_writer). A second
    // add replaces the callback. For the fds of foreign libraries (libpq, c-ares, libcurl); a
    // socket aio is reading through sock_recv or a stream is not also given a reader here.
    void add_reader(int fd, std::function<void()> callback);
    void add_writer(int fd, std::function<void()> callback);
    // True if a callback was registered.
    bool remove_reader(int fd);
    bool remove_writer(int fd);

    // loop.add_signal_handler(sig, callback) / remove_signal_handler(sig): see aio/signals.hpp.
    void add_signal_handler(int sig, std::function<void()> callback);
    bool remove_signal_handler(int sig);

    // Before closing an fd this loop has waited on (aio::Socket::close does it): drops the
    // backend's registration, which would otherwise outlive the fd's number.
    void forget_fd(int fd) noexcept;

    // ---- for aio's own types; not part of the asyncio-like API ----
    detail::TaskBase* current_task() const noexcept { return current_; }
    void schedule(detail::Runnable* r) noexcept { ready_.push(r); }
    void add_timer(detail::TimerNode* n) { timers_.push(n); }
    detail::Backend& backend() noexcept { return *backend_; }
    // From any thread: hands `node` to `loop` as a threadsafe callback if that loop still exists
    // and is open; otherwise deletes it.
    static void post_if_alive(EventLoop* loop, detail::CallbackNode* node) noexcept;
    ThreadPoolExecutor& default_executor();
    void set_default_executor(std::unique_ptr<ThreadPoolExecutor> executor);
    // shutdown_default_executor's first half: no more default executor; the one there was, if
    // any and if this is the first call (the loop still owns it).
    ThreadPoolExecutor* stop_default_executor() noexcept;
    detail::SignalTable& signal_table();  // made on first use
    detail::SignalTable* signal_table_if_any() noexcept { return signals_.get(); }
    void remove_timer(detail::TimerNode* n) noexcept { timers_.remove(n); }
    // Resources close() must shut down (open transports); each removes itself when let go.
    void add_resource(detail::LoopResource* r) noexcept;
    void remove_resource(detail::LoopResource* r) noexcept;
    // Spends one unit of the running task's coop budget; false when the task must yield (never
    // without LoopOptions::coop_budget).
    bool spend_budget() noexcept { return coop_budget_ == 0 || --budget_ > 0; }
    // Symmetric transfer to `next`, or, when the step's stack is already deep, unwinds to the
    // step, which continues at `next` before anything else runs (order is unchanged).
    std::coroutine_handle<> chain_to(std::coroutine_handle<> next) noexcept {
        const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
        // (No step running, step_stack_ 0: never unwinds.)
        if (here + detail::kMaxChainStack >= step_stack_) return next;
        bounce_ = next;
        return std::noop_coroutine();
    }
    void check_open() const;
    std::uint64_t next_task_id() noexcept { return ++task_counter_; }
    struct TaskList;
    TaskList& tasks() noexcept { return *tasks_; }

  private:
    friend class detail::TaskBase;

    template <class T>
    TaskHandle<T> spawn(Task<T> coro, std::string* name, bool eager,
                        const Context* context = nullptr);
    template <class F>
    detail::CallbackNode* make_callback(F&& f) {
        check_open();
        using Fn = std::decay_t<F>;
        return new detail::CallbackImpl<Fn>(this, Fn(std::forward<F>(f)));
    }
    void post_threadsafe(detail::CallbackNode* node);
    void run_once();
    void poll_backend();
    void take_threadsafe_callbacks();
    void destroy_pending_tasks() noexcept;
    void close_resources() noexcept;
    void drain_ready(bool discard) noexcept;

    detail::ReadyQueue ready_;
    detail::TimerHeap timers_;
    std::unique_ptr<detail::Backend> backend_;
    std::unique_ptr<detail::FdCallbacks> fd_callbacks_;
    std::unique_ptr<detail::SignalTable> signals_;          // add_signal_handler, made on first use
    std::unique_ptr<ThreadPoolExecutor> default_executor_;  // made on first use
    std::vector<std::unique_ptr<ThreadPoolExecutor>> retired_executors_;  // replaced ones
    bool executor_shutdown_called_ = false;
    std::size_t thread_calls_ = 0;  // to_thread/run_in_executor calls whose result is pending
    friend void detail::thread_call_started(EventLoop&) noexcept;
    friend void detail::thread_call_finished(
        EventLoop&) noexcept;  // add_reader/add_writer, made on first use
    std::unique_ptr<TaskList> tasks_;
    detail::LoopResource* resources_ = nullptr;
    detail::TaskBase* current_ = nullptr;
    const int coop_budget_;
    int budget_ = 0;
    std::uintptr_t step_stack_ = 0;   // the running step's stack frame (chain_to)
    std::coroutine_handle<> bounce_;  // where chain_to unwound to continue
    unsigned busy_iterations_ = 0;
    bool running_ = false;
    bool stopping_ = false;
    bool closed_ = false;
    bool virtual_time_ = false;
    bool eager_tasks_ = false;  // set_task_factory(eager_task_factory)
    TimePoint virtual_now_{};
    std::uint64_t task_counter_ = 0;
    ExceptionHandler handler_;

    std::mutex threadsafe_mutex_;
    std::vector<detail::CallbackNode*> threadsafe_;
    std::atomic<bool> threadsafe_pending_{false};
};

namespace detail {
[[noreturn]] void throw_no_running_loop();
}

// asyncio.get_running_loop(): throws RuntimeError("no running event loop") outside a loop.
inline EventLoop& get_running_loop() {
    if (EventLoop* loop = detail::running_loop) return *loop;
    detail::throw_no_running_loop();
}

}  // namespace aio
