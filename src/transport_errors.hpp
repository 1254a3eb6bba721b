// How transports turn failures into exceptions and decide which ones the loop's exception
// handler hears of.
#pragma once
#include <exception>
#include <system_error>

namespace aio::detail {

// asyncio reports a transport's fatal error to the exception handler unless it is an OSError
// (a reset or a broken pipe is the connection's business, told by connection_lost).
inline bool worth_reporting(const std::exception_ptr& exc) {
    try {
        std::rethrow_exception(exc);
    } catch (const std::system_error&) {
        return false;
    } catch (...) {
        return true;
    }
}

// A -errno result as the std::system_error it stands for.
inline std::exception_ptr errno_error(long err, const char* what) {
    return std::make_exception_ptr(
        std::system_error(static_cast<int>(-err), std::generic_category(), what));
}

}  // namespace aio::detail
