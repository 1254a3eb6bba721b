// Tasks (asyncio.Task): create_task schedules a Task<T> on the loop and returns a TaskHandle<T>
// to await, cancel, name and inspect it. A task whose handle is dropped keeps running; its
// result or exception is then reported, never lost (asyncio may garbage-collect such a task).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "aio/detail/task_base.hpp"
#include "aio/future.hpp"
#include "aio/loop.hpp"
#include "aio/task.hpp"

namespace aio {

namespace detail {

template <class T>
class TaskState final : public TaskBase, public PoolAllocated {
  public:
    TaskState(EventLoop* loop, std::coroutine_handle<Promise<T>> root, std::string* name,
              const Context* context)
        : TaskBase(loop, root, name, context) {}
    [[no_unique_address]] ValueSlot<T> slot;

  private:
    std::exception_ptr take_result(std::coroutine_handle<> root) noexcept override {
        auto& p = std::coroutine_handle<Promise<T>>::from_address(root.address()).promise();
        if (p.error) return std::move(p.error);
        if constexpr (std::is_void_v<T>) {
            return nullptr;
        } else {
            try {
                slot.set(p.slot.take());
                return nullptr;
            } catch (...) {
                return std::current_exception();
            }
        }
    }
};

}  // namespace detail

template <class T = void>
class TaskHandle : public detail::FutureApi<T, detail::TaskState<T>, TaskHandle<T>> {
    using Base = detail::FutureApi<T, detail::TaskState<T>, TaskHandle<T>>;

  public:
    using Base::Base;
    TaskHandle() noexcept = default;

    std::string get_name() const { return this->state().get_name(); }
    void set_name(std::string name) { this->state().set_name(std::move(name)); }
    // asyncio 3.11: pending cancel requests, and withdrawing one.
    int cancelling() const { return this->state().cancelling(); }
    int uncancel() { return this->state().uncancel(); }
};

template <class T>
TaskHandle<T> EventLoop::spawn(Task<T> coro, std::string* name, bool eager,
                               const Context* context) {
    check_open();
    if (!coro.valid()) throw InvalidStateError("create_task: empty (moved-from) Task");
    auto h = coro.release();
    detail::TaskState<T>* state;
    try {
        if (h.done() || h.promise().continuation)
            throw InvalidStateError("create_task: the Task was already started");
        state = new detail::TaskState<T>(this, h, name, context);
    } catch (...) {
        coro = Task<T>(h);  // the frame is still coro's to destroy
        throw;
    }
    TaskHandle<T> handle(state);
    state->start(eager || eager_tasks_);
    return handle;
}

template <class T>
TaskHandle<T> EventLoop::create_task(Task<T> coro, TaskOptions options) {
    return spawn(std::move(coro), options.name.empty() ? nullptr : &options.name, options.eager,
                 options.context ? &*options.context : nullptr);
}

// asyncio.create_task(coro, name=...): schedules coro on the running loop. (Overloads rather
// than a defaulted TaskOptions: g++ 12 miscompiles a defaulted class-type argument inside a
// co_await expression, and `co_await aio::create_task(f())` is a common line.)
template <class T>
TaskHandle<T> create_task(Task<T> coro) {
    return get_running_loop().create_task(std::move(coro));
}
template <class T>
TaskHandle<T> create_task(Task<T> coro, TaskOptions options) {
    return get_running_loop().create_task(std::move(coro), std::move(options));
}
// An awaitable that can also run as a task of its own (Queue::get(), Queue::put()).
template <class A>
concept TaskConvertible = requires(A a) {
    {std::move(a).as_task()};
};
template <TaskConvertible A>
auto create_task(A awaitable) {
    return create_task(std::move(awaitable).as_task());
}
template <TaskConvertible A>
auto create_task(A awaitable, TaskOptions options) {
    return create_task(std::move(awaitable).as_task(), std::move(options));
}

template <class T>
TaskHandle<T> create_task(Task<T> coro, std::string name) {
    return create_task(std::move(coro), TaskOptions{std::move(name), false});
}

// asyncio.current_task(): the running task's name and control, as an untyped handle.
class AnyTask {
  public:
    AnyTask() = default;
    explicit AnyTask(detail::TaskBase* t) noexcept : t_(t) {
        if (t_) t_->retain();
    }
    AnyTask(const AnyTask& o) noexcept : AnyTask(o.t_) {}
    AnyTask& operator=(AnyTask o) noexcept {
        std::swap(t_, o.t_);
        return *this;
    }
    ~AnyTask() {
        if (t_) t_->release();
    }
    explicit operator bool() const noexcept { return t_ != nullptr; }
    bool done() const { return get().done(); }
    bool cancelled() const { return get().cancelled(); }
    bool cancel() { return get().cancel({}); }
    bool cancel(std::string msg) { return get().cancel(std::move(msg)); }
    int cancelling() const { return get().cancelling(); }
    int uncancel() { return get().uncancel(); }
    std::string get_name() const { return get().get_name(); }
    void set_name(std::string name) { get().set_name(std::move(name)); }
    friend bool operator==(const AnyTask& a, const AnyTask& b) noexcept { return a.t_ == b.t_; }
    detail::TaskBase* base() const noexcept { return t_; }

  private:
    detail::TaskBase& get() const {
        if (!t_) throw InvalidStateError("empty task handle");
        return *t_;
    }
    detail::TaskBase* t_ = nullptr;
};

// asyncio.current_task(): empty outside a task.
AnyTask current_task();
// asyncio.all_tasks(): the loop's pending tasks, in creation order.
std::vector<AnyTask> all_tasks();
std::vector<AnyTask> all_tasks(EventLoop& loop);

template <class T>
T EventLoop::run_until_complete(Task<T> coro) {
    check_open();
    return run_until_complete(create_task(std::move(coro)));
}

template <class T>
T EventLoop::run_until_complete(TaskHandle<T> task) {
    check_open();
    if (running_) throw RuntimeError("This event loop is already running");
    if (!task.done()) {
        task.add_done_callback([this](const TaskHandle<T>&) { stop(); });
        run_forever();
        if (!task.done()) throw RuntimeError("Event loop stopped before Future completed.");
    }
    task.state_ptr()->check_result();
    return task.state_ptr()->slot.take();
}

}  // namespace aio
