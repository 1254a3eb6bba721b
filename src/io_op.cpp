#include "aio/detail/io_op.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "backend/backend.hpp"

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

IoOp::IoOp(Kind kind, int fd, const FileArgs& args) noexcept : IoOp(kind, fd, args.buf, args.len) {
    file_ = args;
}

IoOp::~IoOp() {
    if (state_ != State::waiting) return;
    Backend& backend = task_->loop().backend();
    if (completes_) {
        state_ = State::abandoned;
        backend.abandon(*this);
    } else {
        backend.unwatch(*this);
    }
}

long IoOp::perform() noexcept {
    while (true) {
        long r;
        switch (kind_) {
            case Kind::recv:
                r = ::recv(fd, buf_, len_, 0);
                break;
            case Kind::send:
                r = ::send(fd, buf_, len_, MSG_NOSIGNAL);
                break;
            case Kind::accept:
                r = ::accept4(fd, addr_, addrlen_, SOCK_NONBLOCK | SOCK_CLOEXEC);
                break;
            case Kind::recvmsg:
                r = ::recvmsg(fd, static_cast<msghdr*>(buf_), 0);
                break;
            case Kind::sendmsg:
                r = ::sendmsg(fd, static_cast<msghdr*>(buf_), MSG_NOSIGNAL);
                break;
            case Kind::read:
                r = ::read(fd, buf_, len_);
                break;
            case Kind::write:
                r = ::write(fd, buf_, len_);
                break;
            default:  // file operations go to a thread on readiness backends, never here
                return -EOPNOTSUPP;
            case Kind::connect:
                if (connect_started_) {  // writable: the handshake is over, one way or another
                    int err = 0;
                    socklen_t n = sizeof err;
                    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n) < 0) return -errno;
                    return -err;
                }
                connect_started_ = true;
                if (::connect(fd, addr_, *addrlen_) == 0) return 0;
                // In progress (EINTR too: the connection goes on): wait for writability.
                if (errno == EINPROGRESS || errno == EINTR || errno == EAGAIN) return -EAGAIN;
                return -errno;
        }
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

bool IoOp::await_ready() noexcept {
    EventLoop* loop = running_loop;
    if (!loop || loop->backend().completes_io()) return false;
    result_ = perform();
    if (result_ == -EAGAIN) return false;
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
    Backend& backend = task_->loop().backend();
    completes_ = backend.completes_io();
    if (completes_)
        backend.submit(*this);
    else
        backend.watch(*this);
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

bool IoOp::cancel_op(Suspension* s, TaskBase&) noexcept {
    auto* op = static_cast<IoOp*>(s);
    if (op->state_ != State::waiting) return false;
    Backend& backend = op->task_->loop().backend();
    if (!op->completes_) {
        backend.unwatch(*op);
        op->state_ = State::cancelled;
        op->task_->wake();
        return true;
    }
    // The kernel has the buffers: ask it to stop, and resume on its completion (the cancel stays
    // pending on the task and is raised then, or at the next await if the operation won).
    if (!op->cancel_requested_) {
        op->cancel_requested_ = true;
        backend.cancel(*op);
    }
    return false;
}

}  // namespace aio::detail
