#include "aio/errors.hpp"

#include <system_error>
#include <typeinfo>

namespace aio {

ExceptionGroup::ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions)
    : message_(std::move(message)), exceptions_(std::move(exceptions)) {
    what_ = message_ + " (" + std::to_string(exceptions_.size()) + " sub-exception" +
            (exceptions_.size() == 1 ? "" : "s") + ")";
    for (const auto& e : exceptions_) what_ += "\n  " + describe(e);
}

std::string describe(const std::exception_ptr& e) {
    if (!e) return "no exception";
    try {
        std::rethrow_exception(e);
    } catch (const CancelledError& c) {
        return c.message().empty() ? "CancelledError" : "CancelledError: " + c.message();
    } catch (const std::exception& x) {
        return std::string(typeid(x).name()) + ": " + x.what();
    } catch (...) {
        return "unknown exception";
    }
}

namespace detail {
bool is_cancelled_error(const std::exception_ptr& e) noexcept {
    if (!e) return false;
    try {
        std::rethrow_exception(e);
    } catch (const CancelledError&) {
        return true;
    } catch (...) {
        return false;
    }
}
}  // namespace detail

}  // namespace aio
