// The state every awaitable result shares (asyncio.Future's machinery): pending / finished /
// cancelled, the exception, and an intrusive list of waiters woken in registration order when
// it completes. Futures and tasks are reference counted and used from the loop's thread only.
#pragma once
#include <exception>
#include <string>

namespace aio {
class EventLoop;
}

namespace aio::detail {

class TaskBase;

// A waiter on a future. notify runs (in registration order) when the future completes; it must
// not throw and usually just puts something on the ready queue, as asyncio's call_soon does.
struct DoneWaiter {
    using Fn = void (*)(DoneWaiter*) noexcept;
    explicit DoneWaiter(Fn f) noexcept : notify(f) {}
    DoneWaiter(const DoneWaiter&) = delete;
    DoneWaiter& operator=(const DoneWaiter&) = delete;
    // Whether it is in a future's list (its links are null when not).
    bool linked() const noexcept { return next != nullptr; }
    DoneWaiter* prev = nullptr;
    DoneWaiter* next = nullptr;
    Fn notify;
};

// What a suspended task is waiting on. cancel_fn asks it to stop waiting: it returns true when it
// will wake the task with the cancellation itself (asyncio: Task.cancel -> _fut_waiter.cancel()).
struct Suspension {
    using CancelFn = bool (*)(Suspension*, TaskBase&) noexcept;
    explicit Suspension(CancelFn f) noexcept : cancel_fn(f) {}
    CancelFn cancel_fn;
};

class FutureBase {
  public:
    enum class State : unsigned char { pending, finished, cancelled };

    explicit FutureBase(EventLoop* loop) noexcept : loop_(loop) {}
    FutureBase(const FutureBase&) = delete;
    FutureBase& operator=(const FutureBase&) = delete;
    virtual ~FutureBase();

    bool done() const noexcept { return state_ != State::pending; }
    bool cancelled() const noexcept { return state_ == State::cancelled; }
    EventLoop& loop() const noexcept { return *loop_; }

    // asyncio Future.cancel(msg): false if already done.
    virtual bool cancel(std::string msg);

    // asyncio Future.exception(): null if it finished with a value. Throws InvalidStateError
    // while pending and CancelledError if cancelled. Marks the exception as retrieved.
    std::exception_ptr exception();

    // The first half of result(): throws as result() would; returns when a value is available.
    void check_result();

    // Registers a waiter; the future must be pending.
    void add_waiter(DoneWaiter* w) noexcept;
    void remove_waiter(DoneWaiter* w) noexcept;
    // The first waiter, in registration order, for which pred(waiter) is true; null if none.
    template <class Pred>
    DoneWaiter* find_waiter(Pred pred) const {
        if (!last_) return nullptr;
        for (DoneWaiter* w = last_->next;; w = w->next) {
            if (pred(w)) return w;
            if (w == last_) return nullptr;
        }
    }

    void retain() noexcept { ++refs_; }
    void release() noexcept {
        if (--refs_ == 0) delete this;
    }

    // Marks the exception as seen (gather and TaskGroup take it over).
    void mark_retrieved() noexcept { retrieved_ = true; }
    // The exception (CancelledError when cancelled) without marking it seen; null if none.
    const std::exception_ptr& peek_error() const noexcept { return error_; }

    // How the exception handler names this future ("Task-3", "Future").
    virtual std::string describe() const;

  protected:
    // Whether an exception that nobody retrieved must be reported on destruction, and reporting
    // it ("Task exception was never retrieved"); called by the most-derived destructor, which
    // knows the name.
    bool unretrieved() const noexcept { return state_ == State::finished && error_ && !retrieved_; }
    void report_unretrieved(const char* kind, const std::string& name) noexcept;
    // Completes the future: error == null means success; wakes every waiter in order.
    void complete(std::exception_ptr error, bool cancelled) noexcept;
    // Throws RuntimeError if the loop is closed.
    void check_loop_open() const;

    EventLoop* loop_;
    std::exception_ptr error_;
    DoneWaiter* last_ = nullptr;  // the waiters form a ring: last_->next is the first
    unsigned refs_ = 0;
    State state_ = State::pending;
    bool retrieved_ = false;
    // TaskBase's flags, kept here where they fill padding: tasks are what aio makes most of,
    // and bytes per task is a benchmark target. cancel_delivering_: the thing the task waits on
    // has been cancelled, and the task will get its CancelledError when it next runs.
    bool must_cancel_ : 1 = false;
    bool started_ : 1 = false;
    bool cancel_delivering_ : 1 = false;
};

// The CancelledError a cancelled future or task holds.
std::exception_ptr make_cancelled_error(const std::string& msg);

}  // namespace aio::detail
