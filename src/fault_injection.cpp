#include "backend/fault_injection.hpp"

#include <mutex>
#include <random>

namespace aio::detail::faults {

std::atomic<bool> active{false};

namespace {
std::mutex mutex;  // (file calls run on threads too)
std::mt19937_64 rng;
Rates rates;
}  // namespace

void set(const Rates& r) noexcept {
    std::lock_guard lock(mutex);
    rates = r;
    rng.seed(r.seed);
    active = r.reset_on_read > 0 || r.reset_on_write > 0 || r.out_of_fds_on_accept > 0;
}

bool roll(Fault fault) noexcept {
    std::lock_guard lock(mutex);
    double rate = 0;
    switch (fault) {
        case Fault::reset_on_read:
            rate = rates.reset_on_read;
            break;
        case Fault::reset_on_write:
            rate = rates.reset_on_write;
            break;
        case Fault::out_of_fds_on_accept:
            rate = rates.out_of_fds_on_accept;
            break;
    }
    return rate > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < rate;
}

}  // namespace aio::detail::faults
