// JoinSet (Tokio's): a set of tasks of one result type, joined in the order they finish.
//   aio::JoinSet<int> set;
//   for (auto& url : urls) set.spawn(fetch(url));
//   while (auto done = co_await set.join_next()) total += done->result();
// join_next() hands back the finished task itself, so its value or exception is read as any
// task's (result() rethrows); a task that failed and is never joined is reported as asyncio
// reports an unretrieved exception. Destroying the set cancels the tasks still running (Tokio
// aborts them); detach_all() lets them run on instead.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

#include "aio/combinators.hpp"
#include "aio/future.hpp"
#include "aio/tasks.hpp"

namespace aio {

template <class T = void>
class JoinSet {
  public:
    JoinSet() = default;
    JoinSet(const JoinSet&) = delete;
    JoinSet& operator=(const JoinSet&) = delete;
    JoinSet(JoinSet&&) noexcept = default;
    JoinSet& operator=(JoinSet&& o) noexcept {
        if (this != &o) {
            abort_all();
            state_ = std::move(o.state_);
        }
        return *this;
    }
    ~JoinSet() { abort_all(); }

    // Runs `awaitable` (a Task<T>, or anything create_task takes) as a task in the set.
    template <class A>
    TaskHandle<T> spawn(A&& awaitable) {
        TaskHandle<T> task = detail::ensure_future(std::forward<A>(awaitable));
        add(task);
        return task;
    }
    // Adds a task made elsewhere.
    void add(TaskHandle<T> task) {
        State& st = state();
        const std::uint64_t key = ++st.last_key;
        st.running.emplace(key, task);
        task.add_done_callback([st = state_, key](const TaskHandle<T>&) { st->finished(key); });
    }

    // The tasks in the set: running, or finished and not joined yet.
    std::size_t size() const noexcept {
        return state_ ? state_->running.size() + state_->finished_tasks.size() : 0;
    }
    bool empty() const noexcept { return size() == 0; }

    // The next task to finish (in completion order), once it has; nullopt when the set is empty.
    // Cancelling the caller leaves the set as it was.
    Task<std::optional<TaskHandle<T>>> join_next() {
        std::shared_ptr<State> st = state_;
        if (!st) co_return std::nullopt;
        while (st->finished_tasks.empty()) {
            if (st->running.empty()) co_return std::nullopt;
            Future<> arrival;
            st->waiter = arrival;
            co_await arrival;
        }
        co_return st->take_finished();
    }
    // A finished task if there is one, without waiting.
    std::optional<TaskHandle<T>> try_join_next() {
        if (!state_ || state_->finished_tasks.empty()) return std::nullopt;
        return state_->take_finished();
    }

    // Cancels every task still running; they stay in the set until joined.
    void abort_all() {
        if (!state_) return;
        for (auto& [key, task] : state_->running)
            task.cancel();
    }
    // Forgets every task: those running run on, on their own.
    void detach_all() {
        if (!state_) return;
        state_->running.clear();
        state_->finished_tasks.clear();
    }
    // Tokio's shutdown(): cancels every task and waits until all have ended; their results and
    // exceptions are dropped.
    Task<> shutdown() {
        abort_all();
        while (auto task = co_await join_next())
            if (!task->cancelled()) (void)task->exception();
    }

  private:
    struct State {
        std::unordered_map<std::uint64_t, TaskHandle<T>> running;
        std::deque<TaskHandle<T>> finished_tasks;
        Future<> waiter;  // join_next's, while it waits
        std::uint64_t last_key = 0;

        void finished(std::uint64_t key) {
            auto it = running.find(key);
            if (it == running.end()) return;  // detached
            finished_tasks.push_back(std::move(it->second));
            running.erase(it);
            if (waiter.valid() && !waiter.done()) waiter.set_result();
        }
        TaskHandle<T> take_finished() {
            TaskHandle<T> task = std::move(finished_tasks.front());
            finished_tasks.pop_front();
            return task;
        }
    };
    State& state() {
        if (!state_) state_ = std::make_shared<State>();
        return *state_;
    }
    std::shared_ptr<State> state_;
};

}  // namespace aio
