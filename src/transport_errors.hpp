// How transports turn failures into exceptions, decide which ones the loop's exception handler
// hears of, and tell their protocols about the write-buffer water marks.
#pragma once
#include <exception>
#include <system_error>

#include "aio/loop.hpp"
#include "aio/protocols.hpp"

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

// The water marks were crossed: the protocol's pause_writing() (pause) or resume_writing();
// what it throws goes to the loop's exception handler, as asyncio reports it.
inline void tell_protocol_writing(BaseProtocol& protocol, EventLoop& loop, bool pause) noexcept {
    try {
        if (pause)
            protocol.pause_writing();
        else
            protocol.resume_writing();
    } catch (...) {
        loop.call_exception_handler(
            {pause ? "protocol.pause_writing() failed" : "protocol.resume_writing() failed",
             std::current_exception(),
             {}});
    }
}

}  // namespace aio::detail
