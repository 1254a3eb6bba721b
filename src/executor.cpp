#include "aio/executor.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "aio/errors.hpp"
#include "aio/timeouts.hpp"

namespace aio {

struct ThreadPoolExecutor::State {
    std::mutex mutex;
    std::condition_variable work;
    std::deque<std::function<void()>> jobs;
    std::vector<std::thread> workers;
    std::thread joiner;  // shutdown_in_background's
    std::size_t max_workers;
    std::size_t idle = 0;
    bool shutting_down = false;

    void worker() {
        std::unique_lock lock(mutex);
        while (true) {
            ++idle;
            work.wait(lock, [&] { return !jobs.empty() || shutting_down; });
            --idle;
            if (jobs.empty()) return;  // shutting down, queue drained
            auto job = std::move(jobs.front());
            jobs.pop_front();
            lock.unlock();
            job();  // jobs do not throw: thread calls catch their function's exceptions
            job = nullptr;
            lock.lock();
        }
    }
};

ThreadPoolExecutor::ThreadPoolExecutor(std::size_t max_workers)
    : state_(std::make_shared<State>()) {
    if (max_workers == 0)
        max_workers = std::min<std::size_t>(32, std::thread::hardware_concurrency() + 4);
    state_->max_workers = max_workers;
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
    shutdown(true);
}

std::size_t ThreadPoolExecutor::max_workers() const noexcept {
    return state_->max_workers;
}

void ThreadPoolExecutor::submit(std::function<void()> job) {
    State& st = *state_;
    std::lock_guard lock(st.mutex);
    if (st.shutting_down) throw RuntimeError("cannot schedule new futures after shutdown");
    st.jobs.push_back(std::move(job));
    // A new worker only when none is idle to take the job (asyncio's _adjust_thread_count).
    if (st.idle < st.jobs.size() && st.workers.size() < st.max_workers)
        st.workers.emplace_back([s = state_] { s->worker(); });
    st.work.notify_one();
}

void ThreadPoolExecutor::shutdown(bool wait) {
    State& st = *state_;
    std::vector<std::thread> workers;
    {
        std::lock_guard lock(st.mutex);
        st.shutting_down = true;
        if (wait) workers.swap(st.workers);
    }
    st.work.notify_all();
    for (auto& t : workers)
        if (t.get_id() != std::this_thread::get_id())
            t.join();
        else
            t.detach();  // shut down from one of its own jobs
    // A background shutdown may have taken the workers: waiting means waiting for it too (only
    // the owner's thread gets here with wait, and the joiner never touches `joiner`).
    if (wait && st.joiner.joinable() && st.joiner.get_id() != std::this_thread::get_id())
        st.joiner.join();
}

void ThreadPoolExecutor::shutdown_in_background(std::function<void()> then) {
    State& st = *state_;
    if (st.joiner.joinable()) throw RuntimeError("the executor is already shutting down");
    st.joiner = std::thread([this, then = std::move(then)] {
        shutdown(true);
        then();
    });
}

namespace detail {

void submit_thread_call(ThreadPoolExecutor& executor, CallbackNode* call,
                        void (*run)(CallbackNode*)) {
    EventLoop& loop = *call->loop;
    thread_call_started(loop);
    try {
        executor.submit([call, run] {
            run(call);
            EventLoop::post_if_alive(call->loop, call);
        });
    } catch (...) {
        thread_call_finished(loop);
        delete call;
        throw;
    }
}

}  // namespace detail

Task<> shutdown_default_executor(std::optional<Duration> timeout) {
    EventLoop& loop = get_running_loop();
    ThreadPoolExecutor* executor = loop.stop_default_executor();
    if (!executor) co_return;
    // Joining blocks: a thread of its own does it, and reports to the loop when it is done.
    Future<> joined(loop);
    auto join = [] {};  // (the joiner thread itself joins; nothing else to run)
    auto* call = new detail::ThreadCall<void, decltype(join)>(loop, joined, join);
    detail::thread_call_started(loop);
    try {
        executor->shutdown_in_background([call] {
            call->run();
            EventLoop::post_if_alive(call->loop, call);
        });
    } catch (...) {
        detail::thread_call_finished(loop);
        delete call;
        throw;
    }
    if (!timeout) co_return co_await joined;
    bool timed_out = false;
    try {
        co_await wait_for(joined, *timeout);  // (cancels `joined` only: the joiner goes on)
    } catch (const TimeoutError&) {
        timed_out = true;
    }
    if (timed_out) {
        // asyncio warns (RuntimeWarning); the threads go on and are joined when the loop closes.
        const double seconds = std::chrono::duration<double>(*timeout).count();
        char text[128];
        std::snprintf(text, sizeof text,
                      "The executor did not finishing joining its threads within %g seconds.",
                      seconds);
        loop.call_exception_handler({text, nullptr, {}});
    }
}

}  // namespace aio
