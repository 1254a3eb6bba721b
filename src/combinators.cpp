#include "aio/combinators.hpp"

namespace aio::detail {

// ---- wait ----

WaitAwaiter::WaitAwaiter(std::vector<FutureBase*> fs, ReturnWhen when,
                         std::optional<Duration> timeout)
    : Suspension(&cancel_wait),
      TimerNode(&timed_out),
      fs_(std::move(fs)),
      timeout_(timeout),
      counter_(fs_.size()),
      when_(when) {}

WaitAwaiter::~WaitAwaiter() {
    detach();
}

void WaitAwaiter::await_suspend(std::coroutine_handle<> h) {
    task_ = &current_task_for_await();
    EventLoop& loop = task_->loop();
    if (timeout_) {
        this->when = deadline_or_now(loop.time(), *timeout_, "wait");
        loop.add_timer(this);
    }
    nodes_ = std::make_unique<Node[]>(fs_.size());
    for (std::size_t i = 0; i < fs_.size(); ++i) {
        nodes_[i].owner = this;
        nodes_[i].f = fs_[i];
        if (fs_[i]->done())
            loop.schedule(&nodes_[i]);  // asyncio: the callback is call_soon'd
        else
            fs_[i]->add_waiter(&nodes_[i]);
    }
    task_->suspend(h, this);
}

void WaitAwaiter::await_resume() {
    if (!task_) return;
    if (cancelled_) task_->throw_cancelled();
    task_->throw_if_cancel_pending();
}

void WaitAwaiter::on_done(DoneWaiter* w) noexcept {
    auto* n = static_cast<Node*>(w);
    n->owner->task_->loop().schedule(n);
}

void WaitAwaiter::run(Runnable* r, bool discard) noexcept {
    auto* n = static_cast<Node*>(r);
    if (!discard) n->owner->completed(n->f);
}

void WaitAwaiter::completed(FutureBase* f) noexcept {
    if (resolved_) return;
    --counter_;
    bool first_exception = false;
    if (when_ == ReturnWhen::first_exception && !f->cancelled() && f->peek_error()) {
        f->mark_retrieved();
        first_exception = true;
    }
    if (counter_ == 0 || when_ == ReturnWhen::first_completed || first_exception) resolve();
}

void WaitAwaiter::timed_out(Runnable* r, bool discard) noexcept {
    auto* self = static_cast<WaitAwaiter*>(r);
    if (!discard && !self->resolved_) self->resolve();
}

// From here on nothing can queue another node of ours: whatever is queued already runs before
// the task that owns this frame.
void WaitAwaiter::resolve() noexcept {
    resolved_ = true;
    detach();
    task_->wake();
}

void WaitAwaiter::detach() noexcept {
    if (in_heap()) task_->loop().remove_timer(this);
    if (!nodes_) return;
    for (std::size_t i = 0; i < fs_.size(); ++i)
        fs_[i]->remove_waiter(&nodes_[i]);
}

bool WaitAwaiter::cancel_wait(Suspension* s, TaskBase&) noexcept {
    auto* self = static_cast<WaitAwaiter*>(s);
    if (self->resolved_) return false;
    self->cancelled_ = true;
    self->resolve();
    return true;
}

// ---- as_completed ----

AsCompletedCore::AsCompletedCore(EventLoop& loop, std::vector<FutureBase*> fs,
                                 std::optional<Duration> timeout)
    : loop_(loop), fs_(std::move(fs)), nodes_(std::make_unique<Node[]>(fs_.size())) {
    for (std::size_t i = 0; i < fs_.size(); ++i) {
        nodes_[i].owner = this;
        nodes_[i].index = i;
        if (fs_[i]->done()) {
            retain();  // while the node is queued
            loop_.schedule(&nodes_[i]);
        } else {
            fs_[i]->add_waiter(&nodes_[i]);
        }
    }
    if (timeout) {
        auto fire = [this] { arrived(std::nullopt); };
        timer_ = loop_.call_at(deadline_or_now(loop_.time(), *timeout, "as_completed"), fire);
    }
}

AsCompletedCore::~AsCompletedCore() {
    timer_.cancel();
    for (std::size_t i = 0; i < fs_.size(); ++i)
        fs_[i]->remove_waiter(&nodes_[i]);
}

void AsCompletedCore::on_done(DoneWaiter* w) noexcept {
    auto* n = static_cast<Node*>(w);
    n->owner->retain();
    n->owner->loop_.schedule(n);
}

void AsCompletedCore::run(Runnable* r, bool discard) noexcept {
    auto* n = static_cast<Node*>(r);
    AsCompletedCore* core = n->owner;
    if (!discard) core->arrived(n->index);
    core->release();
}

void AsCompletedCore::arrived(std::optional<std::size_t> index) noexcept {
    if (!index) {  // the timeout: every result still to come raises TimeoutError
        for (std::size_t i = 0; i < fs_.size(); ++i)
            fs_[i]->remove_waiter(&nodes_[i]);
        timer_ = Handle();
    }
    arrived_.push_back(index);
    if (Next* w = std::exchange(waiter_, nullptr)) w->task_->wake();
}

void AsCompletedCore::Next::await_suspend(std::coroutine_handle<> h) {
    task_ = &current_task_for_await();
    core_->waiter_ = this;
    task_->suspend(h, this);
}

std::size_t AsCompletedCore::Next::await_resume() {
    if (task_) {
        if (cancelled_) task_->throw_cancelled();
        task_->throw_if_cancel_pending();
    }
    auto index = core_->arrived_.front();
    if (!index) throw TimeoutError();  // stays queued: later results time out too
    core_->arrived_.pop_front();
    return *index;
}

bool AsCompletedCore::Next::cancel_wait(Suspension* s, TaskBase&) noexcept {
    auto* self = static_cast<Next*>(s);
    if (self->core_->waiter_ != self) return false;
    self->core_->waiter_ = nullptr;
    self->cancelled_ = true;
    self->task_->wake();
    return true;
}

}  // namespace aio::detail
