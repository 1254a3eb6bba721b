#include "accept_queue.hpp"

#include <cerrno>
#include <system_error>
#include <utility>

#include "aio/loop.hpp"

namespace aio::detail {

// Waits for the accept's next report: a connection, an error, or (once stopping) its last one.
// A cancellation stops the accept and stays pending on the task until that last report, so that
// the queue is never freed while the kernel still has it.
class AcceptQueue::Wait : Suspension {
  public:
    explicit Wait(AcceptQueue& q) noexcept : Suspension(&cancel), q_(q) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        task_ = &current_task_for_await();
        q_.waiter_ = task_;
        task_->suspend(h, this);
    }
    void await_resume() { task_->throw_if_cancel_pending(); }

  private:
    static bool cancel(Suspension* s, TaskBase& task) noexcept {
        AcceptQueue& q = static_cast<Wait*>(s)->q_;
        if (q.armed && !q.stopping_) {
            q.stopping_ = true;
            task.loop().backend().stop_accepting(q);
        }
        return false;
    }
    AcceptQueue& q_;
    TaskBase* task_ = nullptr;
};

AcceptQueue::AcceptQueue(Socket& listener) noexcept
    : AcceptChannel(listener.fileno(), &on_accepted), listener_(listener) {}

AcceptQueue::~AcceptQueue() {
    if (armed) backend_->abandon_accepting(*this);
}

void AcceptQueue::on_accepted(AcceptChannel* ch, int result, bool more) noexcept {
    auto& q = *static_cast<AcceptQueue*>(ch);
    if (result >= 0) {
        try {
            q.ready_.emplace_back(result);
        } catch (...) {  // (the fd is closed by the Socket that could not be stored)
            q.error_ = -ENOMEM;
        }
    } else if (result != -ECANCELED) {
        q.error_ = result;
    } else if (!q.stopping_) {
        q.error_ = -EBADF;  // cancelled without being asked: the listener was closed under it
    }
    if (TaskBase* t = q.waiter_; t && (!more || !q.stopping_)) {
        q.waiter_ = nullptr;
        t->wake();
    }
    if (!more) q.stopping_ = false;
}

Task<Socket> AcceptQueue::next() {
    while (true) {
        if (taken_ < ready_.size()) {
            Socket conn = std::move(ready_[taken_++]);
            if (taken_ == ready_.size()) {
                ready_.clear();
                taken_ = 0;
            }
            co_return conn;
        }
        if (const int err = std::exchange(error_, 0)) {
            // ECONNABORTED: the peer gave up while queued; take the next one. EINVAL ended a
            // multishot accept the kernel does not have: the backend now says so, and the next
            // round accepts on readiness (where a listener really invalid raises it again).
            if (err == -ECONNABORTED || err == -EINVAL) continue;
            throw std::system_error(-err, std::generic_category(), "accept");
        }
        backend_ = &get_running_loop().backend();
        if (!armed && !backend_->start_accepting(*this)) {
            auto [conn, peer] = co_await sock_accept(listener_);
            co_return std::move(conn);
        }
        co_await Wait(*this);
    }
}

Task<> AcceptQueue::stop() {
    if (!armed) co_return;
    if (!stopping_) {
        stopping_ = true;
        backend_->stop_accepting(*this);
    }
    while (armed)
        co_await Wait(*this);
}

}  // namespace aio::detail
