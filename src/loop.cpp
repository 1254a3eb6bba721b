#include "aio/loop.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>

#include "aio/detail/task_base.hpp"
#include "aio/executor.hpp"
#include "backend/backend.hpp"
#include "fd_callbacks.hpp"
#include "loop_registry.hpp"
#include "signal_table.hpp"

namespace aio {

namespace detail {
namespace {
std::mutex& registry_mutex() {
    static auto* m = new std::mutex;
    return *m;
}
std::set<const EventLoop*>& registry() {
    static auto* s = new std::set<const EventLoop*>;
    return *s;
}
}  // namespace

void register_loop(const EventLoop* loop) {
    std::lock_guard lock(registry_mutex());
    registry().insert(loop);
}
void unregister_loop(const EventLoop* loop) {
    std::lock_guard lock(registry_mutex());
    registry().erase(loop);
}
bool loop_is_alive(const EventLoop* loop) {
    std::lock_guard lock(registry_mutex());
    return registry().count(loop) != 0;
}

void CallbackNode::dispatch(Runnable* r, bool discard) noexcept {
    auto* node = static_cast<CallbackNode*>(r);
    if (!discard && !node->cancelled) {
        try {
            node->invoke();
        } catch (...) {
            node->loop->call_exception_handler(
                {"Exception in callback", std::current_exception(), {}});
        }
    }
    node->release();
}
}  // namespace detail

void Handle::cancel() noexcept {
    if (!node_ || node_->cancelled) return;
    node_->cancelled = true;
    if (node_->in_heap()) {
        node_->loop->remove_timer(node_);
        node_->release();  // the loop's reference: it will never run
    }
}

namespace {
// AIO_VIRTUAL_TIME=1 puts every loop of the process on virtual time: how the examples' tests run
// programs that sleep for seconds in microseconds, without changing them.
bool virtual_time_forced() {
    const char* v = std::getenv("AIO_VIRTUAL_TIME");
    return v && v[0] == '1';
}
}  // namespace

EventLoop::EventLoop(LoopOptions options)
    : backend_(detail::make_backend(options.backend)),
      tasks_(std::make_unique<TaskList>()),
      coop_budget_(options.coop_budget),
      virtual_time_(options.virtual_time || virtual_time_forced()) {
    if (options.coop_budget < 0)
        throw std::invalid_argument("LoopOptions::coop_budget must be 0 (off) or positive");
    detail::register_loop(this);
}

EventLoop::~EventLoop() {
    if (running_) {  // destroying a running loop from inside itself cannot be made safe
        default_exception_handler({"EventLoop destroyed while running", nullptr, {}});
        std::terminate();
    }
    close();
    detail::unregister_loop(this);
}

TimePoint EventLoop::time() const noexcept {
    if (virtual_time_) return virtual_now_;
    return std::chrono::time_point_cast<Duration>(Clock::now());
}

void EventLoop::check_open() const {
    if (closed_) throw RuntimeError("Event loop is closed");
}

void EventLoop::forget_fd(int fd) noexcept {
    if (backend_) backend_->forget(fd);
}

void EventLoop::add_reader(int fd, std::function<void()> callback) {
    check_open();
    if (!fd_callbacks_) fd_callbacks_ = std::make_unique<detail::FdCallbacks>(*this);
    fd_callbacks_->add(fd, detail::Interest::read, std::move(callback));
}
void EventLoop::add_writer(int fd, std::function<void()> callback) {
    check_open();
    if (!fd_callbacks_) fd_callbacks_ = std::make_unique<detail::FdCallbacks>(*this);
    fd_callbacks_->add(fd, detail::Interest::write, std::move(callback));
}
bool EventLoop::remove_reader(int fd) {
    return fd_callbacks_ && fd_callbacks_->remove(fd, detail::Interest::read);
}
bool EventLoop::remove_writer(int fd) {
    return fd_callbacks_ && fd_callbacks_->remove(fd, detail::Interest::write);
}

void detail::thread_call_started(EventLoop& loop) noexcept {
    ++loop.thread_calls_;
}
void detail::thread_call_finished(EventLoop& loop) noexcept {
    --loop.thread_calls_;
}

void EventLoop::post_if_alive(EventLoop* loop, detail::CallbackNode* node) noexcept {
    // Under the registry's lock the loop cannot be destroyed meanwhile.
    std::lock_guard lock(detail::registry_mutex());
    if (!detail::registry().count(loop)) {
        delete node;
        return;
    }
    try {
        loop->post_threadsafe(node);  // deletes the node if the loop is closed
    } catch (const RuntimeError&) {
    }
}

ThreadPoolExecutor& EventLoop::default_executor() {
    check_open();
    if (executor_shutdown_called_) throw RuntimeError("Executor shutdown has been called");
    if (!default_executor_) default_executor_ = std::make_unique<ThreadPoolExecutor>();
    return *default_executor_;
}

void EventLoop::set_default_executor(std::unique_ptr<ThreadPoolExecutor> executor) {
    if (!executor) throw std::invalid_argument("set_default_executor: null executor");
    if (default_executor_) {
        default_executor_->shutdown(false);
        retired_executors_.push_back(std::move(default_executor_));
    }
    default_executor_ = std::move(executor);
}

ThreadPoolExecutor* EventLoop::stop_default_executor() noexcept {
    if (std::exchange(executor_shutdown_called_, true)) return nullptr;
    return default_executor_.get();
}

ThreadPoolExecutor& default_executor() {
    return get_running_loop().default_executor();
}

void set_default_executor(std::unique_ptr<ThreadPoolExecutor> executor) {
    get_running_loop().set_default_executor(std::move(executor));
}

const char* EventLoop::backend_name() const noexcept {
    return backend_ ? backend_->name() : "closed";
}

void detail::throw_no_running_loop() {
    throw RuntimeError("no running event loop");
}

void EventLoop::run_forever() {
    check_open();
    if (running_) throw RuntimeError("This event loop is already running");
    if (detail::running_loop)
        throw RuntimeError("Cannot run the event loop while another loop is running");
    running_ = true;
    detail::running_loop = this;
    struct Reset {
        EventLoop* loop;
        ~Reset() {
            loop->running_ = false;
            loop->stopping_ = false;
            detail::running_loop = nullptr;
        }
    } reset{this};
    while (true) {
        run_once();
        if (stopping_) break;
    }
}

// One iteration, as asyncio's _run_once: wait for I/O (not at all if something is ready), move
// due timers to the ready queue, then run exactly what is ready now; what those callbacks
// schedule runs on the next iteration. While callbacks are ready the backend is asked only every
// kBusyPollInterval iterations (Tokio's event_interval is 61): a non-blocking poll per iteration
// would be a system call per task switch.
void EventLoop::run_once() {
    constexpr unsigned kBusyPollInterval = 61;
    if (ready_.empty() || stopping_ || ++busy_iterations_ >= kBusyPollInterval) {
        busy_iterations_ = 0;
        poll_backend();
    } else {
        backend_->flush();  // io_uring: submit this iteration's operations, take completions
    }
    take_threadsafe_callbacks();

    if (!timers_.empty()) {
        const TimePoint now = time();
        while (!timers_.empty() && timers_.top()->when <= now)
            ready_.push(timers_.pop());
    }

    for (std::size_t n = ready_.size(); n > 0; --n) {
        detail::Runnable* r = ready_.pop();
        r->fn(r, false);
    }
}

void EventLoop::poll_backend() {
    Duration timeout = Duration::max();
    if (!ready_.empty() || stopping_)
        timeout = Duration::zero();
    else if (!timers_.empty())
        timeout = std::max(Duration::zero(), timers_.top()->when - time());

    // (Only asked on virtual time.) The signal self-pipe's reader counts only while a task or
    // handler listens for a signal: aio::run's Ctrl-C watch alone must not hide a deadlock.
    const std::size_t idle_watches =
        virtual_time_ && signals_ && !signals_->has_listeners() ? 1 : 0;
    const bool io_or_threads = backend_->pending_io() > idle_watches || thread_calls_ > 0;
    if (virtual_time_ && timeout == Duration::max() && !io_or_threads &&
        !threadsafe_pending_.load(std::memory_order_acquire)) {
        // On virtual time nothing but a timer or I/O can make progress: with neither, every task
        // waits for another forever. Say so instead of hanging (what a test wants to see).
        throw RuntimeError("deadlock: every task is waiting and no timer or I/O can wake one");
    }
    if (virtual_time_ && timeout > Duration::zero() && !timers_.empty()) {
        // Let I/O already in flight land (a loopback handshake, say), then jump to the timer. A
        // peer outside the process that answers slower than this may see the clock jump first.
        constexpr Duration kIoGrace = std::chrono::milliseconds(1);
        backend_->wait(io_or_threads ? kIoGrace : Duration::zero());
        take_threadsafe_callbacks();
        if (ready_.empty()) virtual_now_ = std::max(virtual_now_, timers_.top()->when);
    } else {
        backend_->wait(timeout);
    }
}

void EventLoop::post_threadsafe(detail::CallbackNode* node) {
    {
        std::lock_guard lock(threadsafe_mutex_);
        if (closed_) {
            delete node;
            throw RuntimeError("Event loop is closed");
        }
        threadsafe_.push_back(node);
        threadsafe_pending_.store(true, std::memory_order_release);
        // Under the lock: once the node is listed, the loop may run it (a stop(), say), return
        // and be destroyed; close() takes this lock first, so the backend is still there.
        backend_->wakeup();
    }
}

void EventLoop::take_threadsafe_callbacks() {
    if (!threadsafe_pending_.load(std::memory_order_acquire)) return;
    std::vector<detail::CallbackNode*> batch;
    {
        std::lock_guard lock(threadsafe_mutex_);
        batch.swap(threadsafe_);
        threadsafe_pending_.store(false, std::memory_order_relaxed);
    }
    for (auto* node : batch)
        ready_.push(node);
}

void EventLoop::drain_ready(bool discard) noexcept {
    while (!ready_.empty()) {
        detail::Runnable* r = ready_.pop();
        r->fn(r, discard);
    }
}

// Pending tasks are unwound in two passes: every frame first (their awaiters unlink themselves
// from whatever they wait on), then each task is completed as cancelled. Waking anything between
// the two passes could reach into a frame about to be destroyed.
void EventLoop::destroy_pending_tasks() noexcept {
    std::vector<detail::TaskBase*> pending;
    for (detail::TaskBase* t = tasks_->head; t; t = t->next_task) {
        t->retain();
        pending.push_back(t);
    }
    for (auto* t : pending) {
        call_exception_handler({"Task was destroyed but it is pending!", nullptr, t->describe()});
        t->destroy_frame();
    }
    for (auto* t : pending) {
        if (!t->done()) t->finish_abandoned();
        t->release();
    }
}

void EventLoop::add_resource(detail::LoopResource* r) noexcept {
    r->prev_resource = nullptr;
    r->next_resource = resources_;
    if (resources_) resources_->prev_resource = r;
    resources_ = r;
}

void EventLoop::remove_resource(detail::LoopResource* r) noexcept {
    if (r->prev_resource)
        r->prev_resource->next_resource = r->next_resource;
    else if (resources_ == r)
        resources_ = r->next_resource;
    if (r->next_resource) r->next_resource->prev_resource = r->prev_resource;
    r->prev_resource = r->next_resource = nullptr;
}

void EventLoop::close_resources() noexcept {
    for (detail::LoopResource* r = resources_; r; r = r->next_resource)
        r->loop_closing();
    backend_->settle();  // what the kernel still owed them arrives (and is dropped) here
    drain_ready(true);
    while (resources_)
        resources_->loop_closed();  // (unlinks itself)
}

void EventLoop::close() {
    if (running_) throw RuntimeError("Cannot close a running event loop");
    if (closed_) return;
    drain_ready(true);
    destroy_pending_tasks();
    // asyncio.run's shutdown_default_executor: the calls still running finish first (their
    // results are dropped below, with the other pending callbacks).
    if (default_executor_) default_executor_->shutdown(true);
    for (auto& executor : retired_executors_)
        executor->shutdown(true);
    drain_ready(true);
    close_resources();
    signals_.reset();  // (its self-pipe is one of the fd callbacks)
    fd_callbacks_.reset();
    while (!timers_.empty()) {
        detail::TimerNode* n = timers_.pop();
        n->fn(n, true);
    }
    {
        std::lock_guard lock(threadsafe_mutex_);
        closed_ = true;
    }
    threadsafe_pending_.store(true);
    take_threadsafe_callbacks();
    drain_ready(true);
}

void EventLoop::call_exception_handler(const ExceptionContext& context) noexcept {
    if (!handler_) return default_exception_handler(context);
    try {
        handler_(*this, context);
    } catch (...) {
        default_exception_handler(
            {"Unhandled error in exception handler", std::current_exception(), {}});
        default_exception_handler(context);
    }
}

void EventLoop::default_exception_handler(const ExceptionContext& context) noexcept {
    try {
        std::string text = context.message;
        if (!context.future.empty()) text += "\nfuture: " + context.future;
        if (context.exception) text += "\nexception: " + describe(context.exception);
        std::fprintf(stderr, "%s\n", text.c_str());
    } catch (...) {
        std::fprintf(stderr, "%s\n", context.message.c_str());
    }
}

}  // namespace aio
