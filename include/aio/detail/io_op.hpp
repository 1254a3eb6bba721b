// One operation a task awaits on a socket or pipe (recv, send, accept, connect, recvmsg, sendmsg,
// read, write) or, on io_uring only, on a file (file_read, file_write, fsync, openat, statx,
// close); the node lives in the awaiting frame. On a readiness backend (epoll) the system call is
// tried at once and, if it would block, retried by the backend each time the fd becomes ready. On a
// completion backend (io_uring) it is submitted to the kernel, which does it and reports the
// result; a cancelled operation resumes its task only after the kernel's completion for it has
// arrived, so buffers and addresses are never freed under the kernel.
#pragma once
#include <sys/socket.h>

#include <coroutine>
#include <cstddef>

#include "aio/detail/fd_waiter.hpp"

namespace aio::detail {

class IoOp : Suspension, public ReadinessWaiter {
  public:
    enum class Kind : unsigned char {
        // Sockets and pipes: one task per fd and direction at a time; cancelled when the fd is
        // closed.
        recv,
        send,
        accept,
        connect,
        recvmsg,
        sendmsg,
        read,
        write,
        // Files (io_uring only): any number at once, each on its own.
        file_read,
        file_write,
        fsync,
        openat,
        statx,
        close,
    };
    // recv/send/read/write: buf and len. accept: addr and addrlen receive the peer's address.
    // connect: addr and *addrlen give it. recvmsg/sendmsg: buf is the msghdr.
    IoOp(Kind kind, int fd, void* buf, std::size_t len, sockaddr* addr = nullptr,
         socklen_t* addrlen = nullptr) noexcept;
    IoOp(const IoOp&) = delete;
    IoOp& operator=(const IoOp&) = delete;
    ~IoOp();

    bool await_ready() noexcept;
    void await_suspend(std::coroutine_handle<> h);
    // The result: >= 0 on success (bytes, or the accepted fd), else -errno. CancelledError if the
    // task was cancelled before the operation took effect.
    long await_resume();

    // ---- for the backends ----
    Kind kind() const noexcept { return kind_; }
    // Held in the backend's per-fd slot (sockets and pipes), not a file operation.
    bool tracked() const noexcept { return kind_ < Kind::file_read; }
    void* buffer() const noexcept { return buf_; }
    std::size_t length() const noexcept { return len_; }
    sockaddr* address() const noexcept { return addr_; }
    socklen_t* address_length() const noexcept { return addrlen_; }
    // The operation's result; wakes the task unless the frame is going away.
    void complete(long result) noexcept;
    // Whether a completion backend still has it (abandon() waits until not).
    bool in_flight() const noexcept {
        return state_ == State::waiting || state_ == State::abandoned;
    }
    // The non-blocking system call, for readiness backends: the result, or -errno (-EAGAIN:
    // not yet).
    long perform() noexcept;

  private:
    enum class State : unsigned char { idle, waiting, done, cancelled, abandoned };
    static bool retry(ReadinessWaiter* w, bool fd_closing) noexcept;
    static bool cancel_op(Suspension* s, TaskBase&) noexcept;

    Kind kind_;
    State state_ = State::idle;
    bool cancel_requested_ = false;
    bool connect_started_ = false;
    bool yielded_ = false;  // done at once, then yielded for the coop budget
    void* buf_;
    std::size_t len_;
    sockaddr* addr_;
    socklen_t* addrlen_;
    long result_ = 0;
    TaskBase* task_ = nullptr;
};

// A file operation (io_uring only: readiness backends send files to a thread): an IoOp with the
// file's arguments, which socket operations do not carry.
class FileOp final : public IoOp {
  public:
    // file_read/file_write: buf, len, offset (-1: the file position). fsync: flags
    // (IORING_FSYNC_DATASYNC). openat: fd is the directory, buf the path, flags and mode.
    // statx: fd the directory, buf the path, flags (AT_*), out the struct statx. close: none.
    struct Args {
        void* buf = nullptr;
        std::size_t len = 0;
        long long offset = -1;
        int flags = 0;
        unsigned mode = 0;
        void* out = nullptr;
    };
    FileOp(Kind kind, int fd, const Args& args) noexcept
        : IoOp(kind, fd, args.buf, args.len), args_(args) {}
    const Args& args() const noexcept { return args_; }

  private:
    Args args_;
};

}  // namespace aio::detail
