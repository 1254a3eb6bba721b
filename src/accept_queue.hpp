// The connections a listening socket accepts, taken one at a time by a server's accept loop
// (asyncio's _accept_connection). On io_uring one multishot accept brings them all: the first
// next() arms it and it stays armed while the loop serves, each accepted fd waiting here, so a
// connection costs no submission of its own. Elsewhere, or where the kernel lacks multishot
// accept, each next() is sock_accept (accept4 on readiness).
#pragma once
#include <cstddef>
#include <vector>

#include "aio/detail/task_base.hpp"
#include "aio/sockets.hpp"
#include "aio/task.hpp"
#include "backend/backend.hpp"

namespace aio::detail {

class AcceptQueue : AcceptChannel {
  public:
    explicit AcceptQueue(Socket& listener) noexcept;
    AcceptQueue(const AcceptQueue&) = delete;
    AcceptQueue& operator=(const AcceptQueue&) = delete;
    // Closes what was accepted and not taken; a multishot still armed (a frame destroyed at loop
    // close) is stopped, and its last report awaited, before the memory goes.
    ~AcceptQueue();

    // The next connection; std::system_error as accept would raise it (EMFILE: out of fds).
    // Cancelling stops the multishot; the task resumes once the kernel has made its last report.
    Task<Socket> next();
    // Stops accepting, and returns once the kernel has made its last report.
    Task<> stop();

  private:
    class Wait;
    static void on_accepted(AcceptChannel* ch, int result, bool more) noexcept;
    Socket& listener_;
    Backend* backend_ = nullptr;  // the loop's, once next() has run
    std::vector<Socket> ready_;   // accepted, not yet taken: ready_[taken_..]
    std::size_t taken_ = 0;
    int error_ = 0;               // -errno of a report, for the next next() to raise
    bool stopping_ = false;       // stop_accepting() asked: only the last report wakes
    TaskBase* waiter_ = nullptr;  // the task in next() or stop(), until a report wakes it
};

}  // namespace aio::detail
