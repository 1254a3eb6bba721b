// loop.add_reader/add_writer: level-triggered callbacks on foreign fds. Each registration is a
// readiness waiter while the fd is not ready and a ready-queue callback while it is; after the
// callback runs, a zero-timeout poll() decides which (epoll is edge-triggered, so "still
// readable" must be asked, not waited for).
#pragma once
#include <cstdint>
#include <functional>
#include <unordered_map>

#include "aio/detail/fd_waiter.hpp"
#include "aio/detail/runnable.hpp"

namespace aio::detail {

class FdCallbacks {
  public:
    explicit FdCallbacks(EventLoop& loop) noexcept : loop_(loop) {}
    ~FdCallbacks();
    FdCallbacks(const FdCallbacks&) = delete;
    FdCallbacks& operator=(const FdCallbacks&) = delete;

    // A second add for the same fd and direction replaces the callback.
    void add(int fd, Interest interest, std::function<void()> callback);
    // True if a callback was registered.
    bool remove(int fd, Interest interest);

  private:
    struct Entry;
    static std::uint64_t key(int fd, Interest interest) noexcept {
        return static_cast<std::uint64_t>(static_cast<std::uint32_t>(fd)) << 1 |
               (interest == Interest::write);
    }
    void arm(Entry& e);
    static bool on_ready(ReadinessWaiter* w, bool fd_closing) noexcept;
    static void run(Runnable* r, bool discard) noexcept;

    EventLoop& loop_;
    std::unordered_map<std::uint64_t, Entry*> entries_;
};

}  // namespace aio::detail
