// aio's error types, named after asyncio's. CancelledError deliberately does not derive from
// std::exception (asyncio made it a BaseException in 3.8), so `catch (const std::exception&)`
// never swallows a cancellation. OS errors are std::system_error with the errno kept.
#pragma once
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace aio {

// asyncio.CancelledError: thrown from the co_await where a cancelled task is suspended.
class CancelledError {
  public:
    CancelledError() = default;
    explicit CancelledError(std::string message) : message_(std::move(message)) {}
    // The message given to cancel(msg), empty if none.
    const std::string& message() const noexcept { return message_; }
    const char* what() const noexcept {
        return message_.empty() ? "CancelledError" : message_.c_str();
    }

  private:
    std::string message_;
};

// asyncio.InvalidStateError: e.g. result() of a pending future, set_result() twice.
class InvalidStateError : public std::logic_error {
  public:
    using std::logic_error::logic_error;
};

// Python's RuntimeError as asyncio raises it: a closed loop, a loop run twice, run() nested.
class RuntimeError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// asyncio.TimeoutError (TimeoutError since 3.11): raised by timeout() and wait_for().
class TimeoutError : public std::runtime_error {
  public:
    TimeoutError() : std::runtime_error("TimeoutError") {}
};

// Python's ExceptionGroup, as raised by TaskGroup: every error of the group, in completion order.
class ExceptionGroup : public std::exception {
  public:
    ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions);
    const char* what() const noexcept override { return what_.c_str(); }
    const std::string& message() const noexcept { return message_; }
    const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

  private:
    std::string message_;
    std::string what_;
    std::vector<std::exception_ptr> exceptions_;
};

// Python's KeyboardInterrupt: aio::run's main task was cancelled by SIGINT (or a signal given to
// aio::interrupt_on). Not a std::runtime_error, so that generic handlers let it through.
class KeyboardInterrupt : public std::exception {
  public:
    explicit KeyboardInterrupt(int sig) noexcept : signal_(sig) {}
    int signal() const noexcept { return signal_; }
    const char* what() const noexcept override { return "KeyboardInterrupt"; }

  private:
    int signal_;
};

// A one-line description of any exception, CancelledError and ExceptionGroup included.
std::string describe(const std::exception_ptr& e);

namespace detail {
bool is_cancelled_error(const std::exception_ptr& e) noexcept;
}

}  // namespace aio
