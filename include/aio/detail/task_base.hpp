// The type-independent half of a task (asyncio.Task): the coroutine it drives, its step on the
// ready queue, what it is suspended on, and asyncio 3.11's cancellation state (cancel requests
// counted by cancelling()/uncancel(), a pending cancel delivered at the next suspension).
#pragma once
#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>

#include "aio/context.hpp"
#include "aio/detail/future_base.hpp"
#include "aio/loop.hpp"

namespace aio::detail {

class TaskBase : public FutureBase, public Runnable {
  public:
    // `name`, `context`: taken if not null (most tasks have neither, and pay nothing for them).
    // Without a context, the task gets a copy of the current one (contextvars).
    TaskBase(EventLoop* loop, std::coroutine_handle<> root, std::string* name,
             const Context* context = nullptr);
    ~TaskBase() override;

    // asyncio Task.cancel(msg): requests cancellation; false if the task is done.
    bool cancel(std::string msg) override;
    // asyncio 3.11: the number of pending cancel requests, and taking one back.
    int cancelling() const noexcept { return num_cancels_requested_; }
    int uncancel() noexcept;

    // The task's context (contextvars): null while it has none; made on first set().
    ContextBox* context_box() const noexcept { return extras_ ? extras_->context.get() : nullptr; }
    ContextBox& make_context_box();

    std::string get_name() const;
    void set_name(std::string name);
    std::string describe() const override { return get_name(); }

    // Schedules the first step, or runs it now for an eager task.
    void start(bool eager) noexcept;

    // ---- the awaiter protocol ----
    // The task suspends at `at`, waiting on `s` (null: nothing to cancel, e.g. sleep(0)). A
    // cancellation requested while the task ran is applied to `s` now, as asyncio's __step does.
    void suspend(std::coroutine_handle<> at, Suspension* s) noexcept {
        resume_at_ = at;
        waiting_on_ = s;
        if (must_cancel_ && s && s->cancel_fn(s, *this)) {
            must_cancel_ = false;
            cancel_delivering_ = true;
        }
    }
    // Puts the task on the ready queue to continue where it suspended.
    void wake() noexcept { loop_->schedule(this); }
    // Makes the task continue at `at` on a later loop iteration (the coop budget's yield).
    void yield_at(std::coroutine_handle<> at) noexcept {
        resume_at_ = at;
        waiting_on_ = nullptr;
        wake();
    }
    // Called by awaiters when they resume: throws CancelledError if a cancel is pending.
    void throw_if_cancel_pending() {
        if (must_cancel_) {
            must_cancel_ = false;
            throw_cancelled();
        }
    }
    [[noreturn]] void throw_cancelled();
    const std::string& cancel_message() const noexcept;

    // Called from the final suspend of the task's root coroutine.
    std::coroutine_handle<> on_root_done() noexcept;

    // Loop close: destroys the frame without resuming it; the task ends cancelled.
    void destroy_frame() noexcept;
    void finish_abandoned() noexcept;

    TaskBase* prev_task = nullptr;  // the loop's list of pending tasks (all_tasks)
    TaskBase* next_task = nullptr;

  protected:
    // Moves the result out of the finished root frame; returns its exception, if any.
    virtual std::exception_ptr take_result(std::coroutine_handle<> root) noexcept = 0;

  private:
    static void run_step(Runnable* self, bool discard) noexcept;
    void step() noexcept;
    void finish(std::exception_ptr error) noexcept;

    struct Extras {  // rarely used, so kept out of line
        std::string name;
        std::string cancel_message;
        std::shared_ptr<ContextBox> context;
    };
    Extras& extras();

    std::coroutine_handle<> root_;
    std::coroutine_handle<> resume_at_;
    Suspension* waiting_on_ = nullptr;
    std::unique_ptr<Extras> extras_;
    std::uint32_t id_;  // "Task-<id>"
    int num_cancels_requested_ = 0;
};

// The task running on this thread's loop, or nullptr.
inline TaskBase* current_task_or_null() noexcept {
    EventLoop* loop = running_loop;
    return loop ? loop->current_task() : nullptr;
}

// The task an awaiter suspends; throws RuntimeError when awaited outside any task.
TaskBase& current_task_for_await();

}  // namespace aio::detail

struct aio::EventLoop::TaskList {
    // In creation order, so that shutting down cancels tasks in the order they were made.
    detail::TaskBase* head = nullptr;
    detail::TaskBase* tail = nullptr;
    std::size_t size = 0;
    void insert(detail::TaskBase* t) noexcept {
        t->prev_task = tail;
        if (tail)
            tail->next_task = t;
        else
            head = t;
        tail = t;
        ++size;
    }
    void erase(detail::TaskBase* t) noexcept {
        if (t->prev_task)
            t->prev_task->next_task = t->next_task;
        else
            head = t->next_task;
        if (t->next_task)
            t->next_task->prev_task = t->prev_task;
        else
            tail = t->prev_task;
        t->prev_task = t->next_task = nullptr;
        --size;
    }
};
