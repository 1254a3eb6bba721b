// Time as the loop sees it: a monotonic clock (asyncio's loop.time(), time.monotonic), or the
// virtual clock of aio/testing.hpp. Delays are checked here so that no caller converts a
// negative or unrepresentable duration into undefined behaviour.
#pragma once
#include <chrono>
#include <stdexcept>
#include <string>

namespace aio {

using Clock = std::chrono::steady_clock;
using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<Clock, Duration>;

namespace detail {

// Converts any chrono duration to the loop's resolution; throws std::out_of_range when it does not
// fit (a delay beyond ~292 years) instead of overflowing.
template <class Rep, class Period>
Duration to_duration(std::chrono::duration<Rep, Period> d, const char* what) {
    using Wide = std::chrono::duration<long double, std::nano>;
    const Wide wide = std::chrono::duration_cast<Wide>(d);
    if (!(wide <= Wide(Duration::max().count()) && wide >= Wide(Duration::min().count())))
        throw std::out_of_range(std::string(what) + ": duration out of range");
    return std::chrono::duration_cast<Duration>(d);
}

// Deadline `d` after `now`, refusing negative delays and deadlines past the clock's range.
template <class Rep, class Period>
TimePoint deadline_after(TimePoint now, std::chrono::duration<Rep, Period> d, const char* what) {
    const Duration delay = to_duration(d, what);
    if (delay < Duration::zero()) {  // in the past, as asyncio's loop.time() + delay
        if (now.time_since_epoch() < Duration::min() - delay) return TimePoint::min();
        return now + delay;
    }
    if (delay > TimePoint::max() - now)
        throw std::out_of_range(std::string(what) + ": delay too large");
    return now + delay;
}

// Like deadline_after, but a negative delay means "already due" (asyncio's timeout semantics).
template <class Rep, class Period>
TimePoint deadline_or_now(TimePoint now, std::chrono::duration<Rep, Period> d, const char* what) {
    const Duration delay = to_duration(d, what);
    if (delay <= Duration::zero()) return now;
    if (delay > TimePoint::max() - now)
        throw std::out_of_range(std::string(what) + ": delay too large");
    return now + delay;
}

}  // namespace detail
}  // namespace aio
