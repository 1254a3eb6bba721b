// Unix signals, the asyncio way: a signal's handler runs as an ordinary callback on the loop
// (loop.add_signal_handler), never inside the signal handler itself, so it may do anything a
// callback may. The process-level handler only writes the signal's number to the loop's
// self-pipe. A signal is handled by one loop at a time; the disposition it had before is
// restored when the last handler or waiter for it goes.
#pragma once
#include <functional>
#include <utility>
#include <vector>

#include "aio/task.hpp"

namespace aio {

// loop.add_signal_handler(sig, callback) on the running loop: callback runs (call_soon) after
// each delivery of sig; a second add replaces it. std::invalid_argument for a number that is not
// a signal or cannot be caught (SIGKILL, SIGSTOP); RuntimeError if another loop handles sig.
void add_signal_handler(int sig, std::function<void()> callback);
// loop.remove_signal_handler(sig): true if a handler was removed.
bool remove_signal_handler(int sig);

namespace detail {
Task<int> wait_for_signals(std::vector<int> sigs);
}

// Waits for one of the signals (wait_for_signal(SIGINT, SIGTERM)) and returns the one that came.
// Catches them only while waiting: a signal that arrives between two waits gets its previous
// disposition (a handler from add_signal_handler keeps it caught).
template <class... Sigs>
Task<int> wait_for_signal(int sig, Sigs... more) {
    return detail::wait_for_signals(std::vector<int>{sig, static_cast<int>(more)...});
}

}  // namespace aio
