// The interface between the event loop and the kernel: the only code that knows about epoll or
// io_uring lives behind it. The loop calls wait() once per iteration with the time until its
// next timer; the backend blocks at most that long and puts whatever completed on the loop's
// ready queue. wakeup() is the one thread-safe call: it ends a wait() early.
//
// Two kinds of backend, one contract. A readiness backend (epoll) watches fds: an operation
// tries its system call at once and, when it would block, the backend retries it on readiness.
// A completion backend (io_uring) is handed the operations themselves, batched into one system
// call per loop iteration. Callers never ask which kind they have: an IoOp goes through
// try_now / start / cancel / abandon, a connection through StreamChannel and AcceptChannel, and
// both kinds serve readiness waits (watch) for foreign fds.
#pragma once
#include <cstddef>
#include <memory>
#include <utility>

#include "aio/loop.hpp"
#include "aio/time.hpp"

namespace aio::detail {

struct ReadinessWaiter;
class IoOp;

// A connection driven by a completion backend that does its reads and writes itself (io_uring):
// what arrives is delivered from the loop's provided buffers (nothing is pinned per connection
// while it is idle), sends go into the loop's batch of submissions. It lives in its transport,
// which stays alive until the backend has reported the end of each operation it started.
struct alignas(8) StreamChannel {
    // Bytes arrived (result > 0) in provided buffer `buffer` at `data`, to be handed back with
    // release_buffer(); or EOF (0) or an error (-errno, -ECANCELED after stop_receiving). more:
    // receiving goes on; false: this was the last report until start_receiving() again.
    using ReceivedFn = void (*)(StreamChannel*, long result, const char* data, unsigned buffer,
                                bool more) noexcept;
    // The send started by start_sending() ended: bytes sent, or -errno.
    using SentFn = void (*)(StreamChannel*, long result) noexcept;
    // Asked when the send is handed to the kernel: the bytes to send, untouched until on_sent.
    using OutgoingFn = std::pair<const char*, std::size_t> (*)(StreamChannel*) noexcept;
    // The callbacks, shared by every channel of a kind (a connection holds one pointer to them).
    struct Ops {
        ReceivedFn on_received;
        SentFn on_sent;
        OutgoingFn outgoing;
    };
    StreamChannel(int f, bool sock, const Ops& o) noexcept : fd(f), socket(sock), ops(&o) {}
    int fd;
    bool socket;  // else a pipe
    const Ops* ops;
    StreamChannel* next_send = nullptr;  // the backend's queue of sends to submit
};

// A listening socket whose connections a completion backend accepts itself, one submission for
// all of them (io_uring's multishot accept). Lives in the accept loop's frame.
struct AcceptChannel {
    // A connection (result: its fd, non-blocking and close-on-exec) or an error (-errno;
    // -ECANCELED after stop_accepting or when the fd is forgotten). more: accepting goes on;
    // false: this is the last report until start_accepting() again.
    using AcceptedFn = void (*)(AcceptChannel*, int result, bool more) noexcept;
    AcceptChannel(int f, AcceptedFn a) noexcept : fd(f), on_accepted(a) {}
    int fd;
    AcceptedFn on_accepted;
    bool armed = false;  // the backend has it (set by start_accepting, cleared by the last report)
};

class Backend {
  public:
    virtual ~Backend() = default;
    virtual const char* name() const noexcept = 0;
    // Blocks until I/O completes, wakeup() is called, or `timeout` passes (Duration::max():
    // no limit; zero: just poll).
    virtual void wait(Duration timeout) = 0;
    // Between waits, while the loop is busy: hand queued submissions to the kernel and collect
    // completions that need no system call (nothing to do for a readiness backend).
    virtual void flush() {}
    // Hands queued submissions to the kernel now, collecting nothing (so it is safe from inside
    // a callback): for a callback that did much work after queuing an answer, which would
    // otherwise wait for the end of the iteration (nothing to do for a readiness backend).
    virtual void submit() {}
    // Thread-safe: makes the current or next wait() return promptly.
    virtual void wakeup() noexcept = 0;
    // How many operations and readiness waits are in flight; the virtual clock never jumps past
    // pending I/O.
    virtual std::size_t pending_io() const noexcept = 0;

    // Calls w.on_ready once its fd is ready for its interest (again, while on_ready returns
    // false). One waiter per fd and interest: a second one gets RuntimeError.
    virtual void watch(ReadinessWaiter& w) = 0;
    virtual void unwatch(ReadinessWaiter& w) noexcept = 0;

    // An operation a task awaits (IoOp). try_now: done at once (op.complete() called, true),
    // as a readiness backend does with the non-blocking system call; false if it must wait.
    virtual bool try_now(IoOp& op) noexcept = 0;
    // Starts waiting: the backend calls op.complete(result) when it is done.
    virtual void start(IoOp& op) = 0;
    // Asks the backend to stop `op`: true if it stopped at once (no completion will come), false
    // if its completion is still to come (the kernel's, usually -ECANCELED).
    virtual bool cancel(IoOp& op) noexcept = 0;
    // `op`'s frame is being destroyed with `op` started: afterwards the backend never touches
    // it (a completion backend cancels it and waits, blocking, for its completion: loop close).
    virtual void abandon(IoOp& op) noexcept = 0;
    // Whether file operations (IoOp file kinds) are the kernel's to do here; if not, files go to
    // a thread (files.cpp).
    virtual bool does_file_io() const noexcept { return false; }

    // Connections (StreamChannel). Each returns false when the backend does not offer it for this
    // fd; the transport then reads and writes on readiness (watch) itself.
    // Reports what arrives until EOF, an error or stop_receiving().
    virtual bool start_receiving(StreamChannel&) { return false; }
    // Ends receiving early; the last report (more == false) still comes.
    virtual void stop_receiving(StreamChannel&) noexcept {}
    virtual void release_buffer(unsigned) noexcept {}
    // One send of ch.outgoing(), made with the iteration's other submissions.
    virtual bool start_sending(StreamChannel&) { return false; }

    // Accepting (AcceptChannel): reports every connection until an error or stop_accepting();
    // false when the backend does not offer it (the caller accepts on readiness instead).
    virtual bool start_accepting(AcceptChannel&) { return false; }
    // Ends accepting early; the last report still comes.
    virtual void stop_accepting(AcceptChannel&) noexcept {}
    // The channel is being destroyed while armed: stop it and block until its last report.
    virtual void abandon_accepting(AcceptChannel&) noexcept {}

    // Loop close: blocks until the kernel has reported the end of every connection operation.
    virtual void settle() noexcept {}

    // The fd is about to be closed: readiness waiters on it are woken (their retried call reports
    // the error) and operations in flight on it end with EBADF.
    virtual void forget(int fd) noexcept = 0;
    // Nothing waits on fd any more and its owner may close it without telling: a readiness
    // backend drops its registration, so that the number can be used again (add_reader after
    // remove_reader and close). Waiters still on fd keep it.
    virtual void unregister(int fd) noexcept { (void)fd; }
};

// The backend for a new loop: the one asked for (options, else AIO_BACKEND), else io_uring when
// the kernel allows it, else epoll.
std::unique_ptr<Backend> make_backend(BackendKind kind);
std::unique_ptr<Backend> make_epoll_backend();
// Null when the kernel does not offer what aio needs (reason says why).
std::unique_ptr<Backend> make_uring_backend(std::string& reason);

}  // namespace aio::detail
