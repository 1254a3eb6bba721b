// aio::TaskGroup (asyncio.TaskGroup, 3.11+): structured concurrency. The group's scope waits for
// every task created in it; the first task to fail cancels the others and the scope's body, and
// all the errors come out together as one ExceptionGroup.
//
//   aio::TaskGroup tg;                          // async with asyncio.TaskGroup() as tg:
//   co_await tg.run([&]() -> aio::Task<> {
//       tg.create_task(fetch(1));               //     tg.create_task(fetch(1))
//       tg.create_task(fetch(2));
//       co_return;
//   }());
#pragma once
#include <exception>
#include <optional>
#include <vector>

#include "aio/detail/value_slot.hpp"
#include "aio/future.hpp"
#include "aio/task.hpp"
#include "aio/tasks.hpp"

namespace aio {

class TaskGroup {
  public:
    TaskGroup() = default;
    TaskGroup(const TaskGroup&) = delete;
    TaskGroup& operator=(const TaskGroup&) = delete;

    // Runs body as the group's scope, then waits for every task of the group. Rethrows: an
    // ExceptionGroup of the tasks' (and the body's) errors; CancelledError if the scope was
    // cancelled from outside. One use per TaskGroup.
    template <class T>
    Task<T> run(Task<T> body);

    // tg.create_task(coro): RuntimeError before the scope is entered, after it finished, or
    // while it is shutting down after a failure.
    template <class T>
    TaskHandle<T> create_task(Task<T> coro) {
        return create_task(std::move(coro), TaskOptions{});
    }
    template <class T>
    TaskHandle<T> create_task(Task<T> coro, TaskOptions options) {
        check_can_create();
        TaskHandle<T> task = loop_->create_task(std::move(coro), std::move(options));
        watch(AnyTask(task.state_ptr()));
        return task;
    }

  private:
    void enter();
    // asyncio's __aexit__: waits for the tasks, then throws what the scope must raise.
    Task<> exit(std::exception_ptr body_error);
    void check_can_create() const;
    void watch(AnyTask task);
    void on_task_done(std::size_t index);
    void abort();

    EventLoop* loop_ = nullptr;
    detail::TaskBase* parent_ = nullptr;
    std::vector<AnyTask> tasks_;  // emptied slots for tasks that are done
    std::size_t pending_ = 0;
    std::vector<std::exception_ptr> errors_;
    std::optional<Future<>> on_completed_;
    bool entered_ = false;
    bool exiting_ = false;
    bool aborting_ = false;
    bool parent_cancel_requested_ = false;
};

template <class T>
Task<T> TaskGroup::run(Task<T> body) {
    enter();
    std::exception_ptr error;
    detail::ValueSlot<T> result;
    try {
        if constexpr (std::is_void_v<T>)
            co_await std::move(body);
        else
            result.set(co_await std::move(body));
    } catch (...) {
        error = std::current_exception();
    }
    co_await exit(error);
    co_return result.take();
}

}  // namespace aio
