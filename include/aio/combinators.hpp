// Running tasks concurrently and waiting on several (asyncio.gather, asyncio.wait,
// asyncio.as_completed). Each takes tasks (TaskHandle), futures, or Task<T> coroutines, which it
// first makes tasks in argument order, as asyncio's ensure_future does.
#pragma once
#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "aio/detail/future_base.hpp"
#include "aio/detail/task_base.hpp"
#include "aio/future.hpp"
#include "aio/tasks.hpp"

namespace aio {

// A child's result under gather(return_exceptions, ...): a value or the exception it raised
// (asyncio puts the exception object in the result list).
template <class T>
class Outcome {
  public:
    explicit Outcome(std::exception_ptr e) noexcept : error_(std::move(e)) {}
    template <class... U>
    explicit Outcome(std::in_place_t, U&&... v) {
        slot_.set(std::forward<U>(v)...);
    }
    bool has_value() const noexcept { return !error_; }
    bool cancelled() const noexcept { return detail::is_cancelled_error(error_); }
    const std::exception_ptr& exception() const noexcept { return error_; }
    // The value, or rethrows the exception.
    decltype(auto) value() const {
        if (error_) std::rethrow_exception(error_);
        return slot_.get();
    }

  private:
    detail::ValueSlot<T> slot_;
    std::exception_ptr error_;
};

struct ReturnExceptions {};
// gather(aio::return_exceptions, ...): collect exceptions as results instead of raising.
inline constexpr ReturnExceptions return_exceptions{};

namespace detail {

template <class T>
TaskHandle<T> ensure_future(Task<T>&& coro) {
    return create_task(std::move(coro));
}
template <class T>
TaskHandle<T> ensure_future(const TaskHandle<T>& t) {
    return t;
}
template <class T>
Future<T> ensure_future(const Future<T>& f) {
    return f;
}
template <TaskConvertible A>
auto ensure_future(A&& awaitable) {
    return create_task(std::move(awaitable).as_task());
}
template <class X>
using future_of = decltype(ensure_future(std::declval<X>()));
template <class X>
concept FutureLike = requires(X&& x) {
    ensure_future(std::forward<X>(x));
};

template <class T>
using Gathered = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
template <bool Outcomes, class H>
using Element =
    std::conditional_t<Outcomes, Outcome<typename H::value_type>, Gathered<typename H::value_type>>;

template <bool Outcomes, class H>
Element<Outcomes, H> take_element(const H& h) {
    auto& s = *h.state_ptr();
    using T = typename H::value_type;
    if constexpr (Outcomes) {
        if (s.peek_error()) {
            s.mark_retrieved();
            return Outcome<T>(s.peek_error());
        }
        if constexpr (std::is_void_v<T>)
            return Outcome<T>(std::in_place);
        else
            return Outcome<T>(std::in_place, copy_or_take(s));
    } else {
        if constexpr (std::is_void_v<T>)
            return std::monostate{};
        else
            return copy_or_take(s);
    }
}

// gather's outer future (asyncio's _GatheringFuture). Each child reports through a node scheduled
// on the ready queue, so completions are handled in asyncio's order and number of loop hops.
template <class R>
class GatherState : public FutureState<R> {
  public:
    GatherState(EventLoop* loop, bool return_exceptions) noexcept
        : FutureState<R>(loop), return_exceptions_(return_exceptions) {}
    ~GatherState() override {
        for (auto* c : children_)
            c->release();
    }

    // Starts watching the children (the derived class holds their typed handles).
    void watch(std::vector<FutureBase*> children) {
        children_ = std::move(children);
        for (auto* c : children_)
            c->retain();
        if (children_.empty()) return this->set_result(collect());
        nodes_ = std::make_unique<ChildNode[]>(children_.size());
        this->retain();  // until every child has reported
        for (std::size_t i = 0; i < children_.size(); ++i) {
            nodes_[i].owner = this;
            nodes_[i].child = children_[i];
            if (children_[i]->done())
                this->loop().schedule(&nodes_[i]);
            else
                children_[i]->add_waiter(&nodes_[i]);
        }
    }

    // Cancelling the gather cancels every child that is not done.
    bool cancel(std::string msg) override {
        if (this->done()) return false;
        bool any = false;
        for (auto* c : children_)
            if (c->cancel(msg)) any = true;
        if (any) cancel_requested_ = true;
        return any;
    }

  protected:
    virtual R collect() = 0;

  private:
    struct ChildNode : DoneWaiter, Runnable {
        ChildNode() noexcept : DoneWaiter(&on_done), Runnable(&run) {}
        GatherState* owner = nullptr;
        FutureBase* child = nullptr;
    };
    static void on_done(DoneWaiter* w) noexcept {
        auto* n = static_cast<ChildNode*>(w);
        n->owner->loop().schedule(n);
    }
    // Runs even when a closing loop discards the ready queue: the gather must still finish.
    static void run(Runnable* r, bool) noexcept {
        auto* n = static_cast<ChildNode*>(r);
        n->owner->child_done(n->child);
    }
    void child_done(FutureBase* child) noexcept {
        ++finished_;
        const bool last = finished_ == children_.size();
        if (this->done()) {
            if (!child->cancelled()) child->mark_retrieved();
        } else if (!return_exceptions_ && child->peek_error()) {
            child->mark_retrieved();
            this->complete(child->peek_error(), false);
        } else if (last) {
            if (cancel_requested_) {
                this->complete(make_cancelled_error({}), false);
            } else {
                try {
                    R r = collect();
                    this->slot.set(std::move(r));
                    this->complete(nullptr, false);
                } catch (...) {
                    this->complete(std::current_exception(), false);
                }
            }
        }
        if (last) this->release();
    }

    std::vector<FutureBase*> children_;
    std::unique_ptr<ChildNode[]> nodes_;
    std::size_t finished_ = 0;
    bool return_exceptions_;
    bool cancel_requested_ = false;
};

template <bool Outcomes, class... Hs>
class TupleGather final : public GatherState<std::tuple<Element<Outcomes, Hs>...>> {
    using R = std::tuple<Element<Outcomes, Hs>...>;

  public:
    TupleGather(EventLoop* loop, std::tuple<Hs...> hs)
        : GatherState<R>(loop, Outcomes), handles_(std::move(hs)) {}
    std::vector<FutureBase*> children() const {
        return std::apply(
            [](const auto&... h) { return std::vector<FutureBase*>{h.state_ptr()...}; }, handles_);
    }

  private:
    R collect() override {
        return std::apply([](const auto&... h) { return R(take_element<Outcomes>(h)...); },
                          handles_);
    }
    std::tuple<Hs...> handles_;
};

template <bool Outcomes, class H>
class RangeGather final : public GatherState<std::vector<Element<Outcomes, H>>> {
    using R = std::vector<Element<Outcomes, H>>;

  public:
    RangeGather(EventLoop* loop, std::vector<H> hs)
        : GatherState<R>(loop, Outcomes), handles_(std::move(hs)) {}
    std::vector<FutureBase*> children() const {
        std::vector<FutureBase*> out;
        out.reserve(handles_.size());
        for (const auto& h : handles_)
            out.push_back(h.state_ptr());
        return out;
    }

  private:
    R collect() override {
        R out;
        out.reserve(handles_.size());
        for (const auto& h : handles_)
            out.push_back(take_element<Outcomes>(h));
        return out;
    }
    std::vector<H> handles_;
};

template <class State, class... Args>
auto start_gather(Args&&... args) {
    EventLoop& loop = get_running_loop();
    auto* state = new State(&loop, std::forward<Args>(args)...);
    Future<typename State::value_type> outer(state);
    state->watch(state->children());
    return outer;
}

template <class X>
auto futures_of(std::vector<X>&& xs) {
    std::vector<future_of<X>> out;
    out.reserve(xs.size());
    for (auto& x : xs)
        out.push_back(ensure_future(std::move(x)));
    return out;
}

}  // namespace detail

// asyncio.gather(*aws): a future of every result, in argument order (std::monostate for void).
// The first exception is raised to whoever awaits it, without cancelling the other children;
// cancelling the gather cancels the children.
template <class... Xs>
requires(sizeof...(Xs) > 0 && (detail::FutureLike<Xs> && ...)) auto gather(Xs&&... xs) {
    using State = detail::TupleGather<false, detail::future_of<Xs>...>;
    // Braces: the tasks are created left to right (function arguments have no such order).
    std::tuple<detail::future_of<Xs>...> children{detail::ensure_future(std::forward<Xs>(xs))...};
    return detail::start_gather<State>(std::move(children));
}
// asyncio.gather(*aws, return_exceptions=True): Outcome<T> per child.
template <class... Xs>
requires(detail::FutureLike<Xs>&&...) auto gather(ReturnExceptions, Xs&&... xs) {
    using State = detail::TupleGather<true, detail::future_of<Xs>...>;
    std::tuple<detail::future_of<Xs>...> children{detail::ensure_future(std::forward<Xs>(xs))...};
    return detail::start_gather<State>(std::move(children));
}
// asyncio.gather(*list): over a vector of tasks, futures or Task<T>s; a future of a vector.
template <class X>
auto gather(std::vector<X> xs) {
    using State = detail::RangeGather<false, detail::future_of<X>>;
    return detail::start_gather<State>(detail::futures_of(std::move(xs)));
}
template <class X>
auto gather(ReturnExceptions, std::vector<X> xs) {
    using State = detail::RangeGather<true, detail::future_of<X>>;
    return detail::start_gather<State>(detail::futures_of(std::move(xs)));
}

// asyncio.FIRST_COMPLETED / FIRST_EXCEPTION / ALL_COMPLETED.
enum class ReturnWhen { first_completed, first_exception, all_completed };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::first_completed;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::first_exception;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::all_completed;

template <class H>
struct WaitResult {
    std::vector<H> done;
    std::vector<H> pending;
};

namespace detail {

// The suspension of asyncio's _wait(): counts completions through nodes on the ready queue and
// wakes the task when return_when is met or the timeout passes. Cancelling the waiting task
// leaves the futures alone.
class [[nodiscard]] WaitAwaiter : Suspension, TimerNode {
  public:
    WaitAwaiter(std::vector<FutureBase*> fs, ReturnWhen when, std::optional<Duration> timeout);
    ~WaitAwaiter();
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume();

  private:
    struct Node : DoneWaiter, Runnable {
        Node() noexcept : DoneWaiter(&on_done), Runnable(&run) {}
        WaitAwaiter* owner = nullptr;
        FutureBase* f = nullptr;
    };
    static void on_done(DoneWaiter* w) noexcept;
    static void run(Runnable* r, bool discard) noexcept;
    static void timed_out(Runnable* r, bool discard) noexcept;
    static bool cancel_wait(Suspension* s, TaskBase&) noexcept;
    void completed(FutureBase* f) noexcept;
    void resolve() noexcept;
    void detach() noexcept;

    std::vector<FutureBase*> fs_;
    std::unique_ptr<Node[]> nodes_;
    std::optional<Duration> timeout_;
    TaskBase* task_ = nullptr;
    std::size_t counter_;
    ReturnWhen when_;
    bool resolved_ = false;
    bool cancelled_ = false;
};

}  // namespace detail

// asyncio.wait(fs, timeout, return_when): waits until return_when is met or the timeout passes;
// returns the futures split into done and pending (in input order; asyncio returns sets). Never
// raises the futures' exceptions and never cancels them. Empty input: std::invalid_argument.
template <class X>
Task<WaitResult<detail::future_of<X>>> wait(std::vector<X> fs, ReturnWhen when = ALL_COMPLETED,
                                            std::optional<Duration> timeout = std::nullopt) {
    if (fs.empty()) throw std::invalid_argument("Set of Tasks/Futures is empty.");
    auto handles = detail::futures_of(std::move(fs));
    std::vector<detail::FutureBase*> bases;
    for (const auto& h : handles)
        bases.push_back(h.state_ptr());
    detail::WaitAwaiter waiting(std::move(bases), when, timeout);
    co_await waiting;
    WaitResult<detail::future_of<X>> result;
    for (auto& h : handles)
        (h.done() ? result.done : result.pending).push_back(std::move(h));
    co_return result;
}

namespace detail {

// The shared state behind as_completed(): completions in the order they happened.
class AsCompletedCore {
  public:
    AsCompletedCore(EventLoop& loop, std::vector<FutureBase*> fs, std::optional<Duration> timeout);
    ~AsCompletedCore();
    void retain() noexcept { ++refs_; }
    void release() noexcept {
        if (--refs_ == 0) delete this;
    }
    // Awaits the next completion; returns its index into the input.
    class Next;
    std::size_t size() const noexcept { return fs_.size(); }

  private:
    struct Node : DoneWaiter, Runnable {
        Node() noexcept : DoneWaiter(&on_done), Runnable(&run) {}
        AsCompletedCore* owner = nullptr;
        std::size_t index = 0;
    };
    static void on_done(DoneWaiter* w) noexcept;
    static void run(Runnable* r, bool discard) noexcept;
    void arrived(std::optional<std::size_t> index) noexcept;

    EventLoop& loop_;
    std::vector<FutureBase*> fs_;
    std::unique_ptr<Node[]> nodes_;
    std::deque<std::optional<std::size_t>> arrived_;  // nullopt: the timeout passed
    Handle timer_;
    Next* waiter_ = nullptr;
    unsigned refs_ = 1;
    friend class Next;
};

class AsCompletedCore::Next : Suspension {
  public:
    explicit Next(AsCompletedCore* core) noexcept : Suspension(&cancel_wait), core_(core) {}
    ~Next() {
        if (core_->waiter_ == this) core_->waiter_ = nullptr;
    }
    bool await_ready() const noexcept { return !core_->arrived_.empty(); }
    void await_suspend(std::coroutine_handle<> h);
    // The index of the future that completed; TimeoutError once the timeout passed.
    std::size_t await_resume();

  private:
    friend class AsCompletedCore;
    static bool cancel_wait(Suspension* s, TaskBase&) noexcept;
    AsCompletedCore* core_;
    TaskBase* task_ = nullptr;
    bool cancelled_ = false;
};

}  // namespace detail

// What as_completed() returns: iterate it, and co_await each element for the next result to
// arrive (asyncio: `for coro in as_completed(aws): result = await coro`).
template <class H>
class AsCompleted {
  public:
    using T = typename H::value_type;
    AsCompleted(std::vector<H> handles, std::optional<Duration> timeout)
        : handles_(std::move(handles)) {
        std::vector<detail::FutureBase*> bases;
        for (const auto& h : handles_)
            bases.push_back(h.state_ptr());
        core_ = new detail::AsCompletedCore(get_running_loop(), std::move(bases), timeout);
    }
    AsCompleted(const AsCompleted&) = delete;
    AsCompleted& operator=(const AsCompleted&) = delete;
    ~AsCompleted() { core_->release(); }

    // The next result to arrive: its value, or its exception rethrown.
    Task<T> next() {
        if (yielded_ == handles_.size()) throw InvalidStateError("as_completed: no more results");
        ++yielded_;
        detail::AsCompletedCore::Next arrival(core_);
        std::size_t i = co_await arrival;
        co_return co_await handles_[i];
    }
    std::size_t size() const noexcept { return handles_.size(); }

    struct iterator {
        AsCompleted* owner;
        std::size_t i;
        Task<T> operator*() const { return owner->next(); }
        iterator& operator++() {
            ++i;
            return *this;
        }
        bool operator!=(const iterator& o) const { return i != o.i; }
    };
    iterator begin() { return {this, 0}; }
    iterator end() { return {this, handles_.size()}; }

  private:
    std::vector<H> handles_;
    detail::AsCompletedCore* core_;
    std::size_t yielded_ = 0;
};

// asyncio.as_completed(aws, timeout): results in the order they complete.
//   for (auto next : aio::as_completed(std::move(tasks))) int r = co_await next;
template <class X>
AsCompleted<detail::future_of<X>> as_completed(std::vector<X> fs,
                                               std::optional<Duration> timeout = std::nullopt) {
    return AsCompleted<detail::future_of<X>>(detail::futures_of(std::move(fs)), timeout);
}

namespace detail {

template <class... H>
using RaceResult = std::variant<Gathered<typename H::value_type>...>;

// (Plain functions: g++ 12 miscompiles initializer lists inside a coroutine body.)
template <class... H, std::size_t... I>
std::vector<FutureBase*> bases_of(const std::tuple<H...>& futures, std::index_sequence<I...>) {
    return {std::get<I>(futures).state_ptr()...};
}
// The first (in argument order) that is done.
template <class... H, std::size_t... I>
std::size_t first_done(const std::tuple<H...>& futures, std::index_sequence<I...>) {
    const bool done[] = {std::get<I>(futures).done()...};
    return static_cast<std::size_t>(std::find(done, done + sizeof...(H), true) - done);
}

template <class... H, std::size_t... I>
Task<RaceResult<H...>> race_futures(std::tuple<H...> contenders, std::index_sequence<I...> seq) {
    std::vector<FutureBase*> bases = bases_of(contenders, seq);
    bool cancelled = false;
    try {
        WaitAwaiter first(bases, FIRST_COMPLETED, std::nullopt);
        co_await first;
    } catch (const CancelledError&) {
        cancelled = true;
    }
    // The winner: the first to finish; of several in the same step, the first argument.
    const std::size_t winner = first_done(contenders, seq);
    (std::get<I>(contenders).cancel(), ...);
    WaitAwaiter all_ended(std::move(bases), ALL_COMPLETED, std::nullopt);
    co_await all_ended;  // nothing keeps running behind race()
    if (cancelled) throw CancelledError();
    std::optional<RaceResult<H...>> result;
    ((winner == I ? (void)result.emplace(std::in_place_index<I>,
                                         take_element<false>(std::get<I>(contenders)))
                  : (void)0),
     ...);
    co_return std::move(*result);
}

}  // namespace detail

// race(aws...) (Tokio's select!, asyncio's wait(FIRST_COMPLETED) plus cancelling the rest):
// runs each awaitable as a task; the first to finish wins and race returns its value, in the
// variant alternative of its position (std::monostate for void), or rethrows its exception.
// The others are cancelled, and race returns once they have ended. Cancelling race cancels
// them all.
//   auto r = co_await aio::race(q.get(), aio::sleep(1s));
//   if (r.index() == 0) use(std::get<0>(r));
template <class... Xs>
requires(sizeof...(Xs) > 0 && (detail::FutureLike<Xs> && ...)) auto race(Xs&&... xs) {
    // Braces: the tasks are created left to right.
    std::tuple<detail::future_of<Xs>...> contenders{detail::ensure_future(std::forward<Xs>(xs))...};
    return detail::race_futures(std::move(contenders), std::index_sequence_for<Xs...>{});
}

}  // namespace aio
