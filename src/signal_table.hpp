// A loop's signal handling: which signals it catches, the callback and the waiting tasks for
// each, and the self-pipe the process-level handler writes their numbers to.
#pragma once
#include <signal.h>

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "aio/future.hpp"

namespace aio::detail {

class SignalTable {
  public:
    explicit SignalTable(EventLoop& loop);
    // Restores every signal's previous disposition.
    ~SignalTable();
    SignalTable(const SignalTable&) = delete;
    SignalTable& operator=(const SignalTable&) = delete;

    // A fallback handler runs only when no task is waiting for the signal (aio::run's SIGINT:
    // a program that waits for SIGINT itself handles it).
    void set_handler(int sig, std::function<void()> callback, bool fallback = false);
    bool remove_handler(int sig);
    // A waiter is set to the signal's number when it comes, and removed then.
    std::uint64_t add_waiter(int sig, Future<int> waiter);
    void remove_waiter(int sig, std::uint64_t id) noexcept;
    // Whether a task waits for a signal or a handler other than a fallback one is installed.
    bool has_listeners() const noexcept;

  private:
    struct Entry {
        std::function<void()> callback;
        bool fallback = false;
        std::vector<std::pair<std::uint64_t, Future<int>>> waiters;
        struct sigaction previous {};
    };
    Entry& catch_signal(int sig);
    void release_if_unused(int sig) noexcept;
    void dispatch();

    EventLoop& loop_;
    int read_fd_ = -1;
    int write_fd_ = -1;
    std::uint64_t next_waiter_ = 0;
    std::map<int, Entry> entries_;
};

}  // namespace aio::detail
