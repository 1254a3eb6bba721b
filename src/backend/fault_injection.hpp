// Faults injected into aio's own system calls, for tests (aio::testing::inject_faults): at
// seeded random rates a socket read fails with ECONNRESET, a write with EPIPE, and an accept
// with EMFILE, as they do when a peer resets or the process runs out of descriptors. The calls
// are those of src/backend/sys.cpp (the epoll backend's I/O; io_uring's goes through its ring).
// Off unless a test switches it on; off, a call pays one relaxed atomic load.
#pragma once
#include <atomic>

namespace aio::detail::faults {

enum class Fault { reset_on_read, reset_on_write, out_of_fds_on_accept };

struct Rates {  // 0 to 1 each; all 0: off
    unsigned seed = 1;
    double reset_on_read = 0;
    double reset_on_write = 0;
    double out_of_fds_on_accept = 0;
};
void set(const Rates& rates) noexcept;

extern std::atomic<bool> active;
bool roll(Fault fault) noexcept;  // (the slow path: only while active)

// Whether this call is to fail with the fault.
inline bool hit(Fault fault) noexcept {
    return active.load(std::memory_order_relaxed) && roll(fault);
}

}  // namespace aio::detail::faults
