#include "aio/detail/io_op.hpp"

#include <cerrno>

#include "backend/backend.hpp"
#include "backend/sys.hpp"

namespace aio::detail {

namespace {
Interest interest_of(IoOp::Kind kind) noexcept {
    switch (kind) {
        case IoOp::Kind::recv:
        case IoOp::Kind::accept:
        case IoOp::Kind::recvmsg:
        case IoOp::Kind::read:
            return Interest::read;
        default:
            return Interest::write;
    }
}
}  // namespace

IoOp::IoOp(Kind kind, int fd, void* buf, std::size_t len, sockaddr* addr,
           socklen_t* addrlen) noexcept
    : Suspension(&cancel_op),
      ReadinessWaiter(fd, interest_of(kind), &retry),
      kind_(kind),
      buf_(buf),
      len_(len),
      addr_(addr),
      addrlen_(addrlen) {}

IoOp::~IoOp() {
    if (state_ != State::waiting) return;
    state_ = State::abandoned;
    task_->loop().backend().abandon(*this);
}

long IoOp::perform() noexcept {
    switch (kind_) {
        case Kind::recv:
        case Kind::read:
            return sys::receive(fd, kind_ == Kind::recv, buf_, len_);
        case Kind::send:
        case Kind::write:
            return sys::transmit(fd, kind_ == Kind::send, buf_, len_);
        case Kind::accept:
            return sys::accept_connection(fd, addr_, addrlen_);
        case Kind::recvmsg:
            return sys::receive_message(fd, static_cast<msghdr*>(buf_));
        case Kind::sendmsg:
            return sys::send_message(fd, static_cast<const msghdr*>(buf_));
        case Kind::connect:
            if (connect_started_) return sys::connect_result(fd);  // writable: the handshake ended
            connect_started_ = true;
            return sys::start_connect(fd, addr_, *addrlen_);
        default:  // file operations go to a thread on readiness backends, never here
            return -EOPNOTSUPP;
    }
}

bool IoOp::await_ready() noexcept {
    EventLoop* loop = running_loop;
    if (!loop || !loop->backend().try_now(*this)) return false;
    // Done at once. A task reading a socket that always has data would never let the others
    // run: it spends coop budget like any immediate await, and yields when that is gone.
    if (loop->spend_budget()) return true;
    yielded_ = true;
    return false;
}

void IoOp::await_suspend(std::coroutine_handle<> h) {
    task_ = &current_task_for_await();
    if (yielded_) {  // done, but out of budget: continue on the next iteration
        task_->yield_at(h);
        return;
    }
    task_->loop().backend().start(*this);
    state_ = State::waiting;
    task_->suspend(h, this);
}

long IoOp::await_resume() {
    if (!task_) return result_;  // done without waiting
    if (state_ == State::cancelled) task_->throw_cancelled();
    if (cancel_requested_ && result_ < 0) task_->throw_if_cancel_pending();
    // The kernel cancelled it without being asked: its fd was closed (forget).
    if (result_ == -ECANCELED && !cancel_requested_) return -EBADF;
    return result_;
}

void IoOp::complete(long result) noexcept {
    const bool wake = state_ == State::waiting;
    state_ = State::done;
    result_ = result;
    if (wake) task_->wake();
}

bool IoOp::retry(ReadinessWaiter* w, bool fd_closing) noexcept {
    auto* op = static_cast<IoOp*>(w);
    const long r = fd_closing ? -EBADF : op->perform();
    if (r == -EAGAIN) return false;
    op->complete(r);
    return true;
}

// A backend that stops the operation at once (readiness) lets the task resume now, cancelled; one
// whose kernel has the buffers (completion) resumes it on the operation's own completion, and
// the cancel stays pending on the task: raised then, or at the next await if the operation won.
bool IoOp::cancel_op(Suspension* s, TaskBase&) noexcept {
    auto* op = static_cast<IoOp*>(s);
    if (op->state_ != State::waiting || op->cancel_requested_) return false;
    op->cancel_requested_ = true;
    if (!op->task_->loop().backend().cancel(*op)) return false;
    op->state_ = State::cancelled;
    op->task_->wake();
    return true;
}

}  // namespace aio::detail
