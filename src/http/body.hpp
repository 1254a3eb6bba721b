// A request body on its way from the parser to the handler: bytes arrive by feed(), the
// handler's reads take them. The connection is told when the handler wants more (so that it
// sends "100 Continue" and resumes reading) and when a read emptied the buffer.
#pragma once
#include <cstddef>
#include <exception>
#include <string>
#include <string_view>

#include "aio/detail/one_waiter.hpp"
#include "aio/task.hpp"
#include "aio/time.hpp"

namespace aio::http::detail {

class Body;

// A connection stops reading while this much of a body waits for its reader, and reads again
// once the reader has brought it down to the low mark.
inline constexpr std::size_t kBodyHighWater = 256 * 1024;
inline constexpr std::size_t kBodyLowWater = 64 * 1024;

// The connection a body comes from, told what its reader does.
class BodySource {
  public:
    virtual void send_continue() {}              // the reader wants the body ("100 Continue")
    virtual void body_wanted(Body& body) = 0;    // it waits for more
    virtual void body_consumed(Body& body) = 0;  // it took some
    virtual Duration body_timeout() const = 0;   // how long a read may wait

  protected:
    ~BodySource() = default;
};

class Body {
  public:
    // Set while the body belongs to a live connection (cleared when the connection lets go).
    BodySource* connection = nullptr;
    int timeout_status = 408;       // what a read that waits too long raises (HTTPException)
    bool continue_pending = false;  // the client waits for "100 Continue" before sending it
    bool discard = false;           // the handler is done: what else arrives is dropped

    void feed(std::string_view data);
    void finish() noexcept;
    void fail(std::exception_ptr error) noexcept;
    std::size_t buffered() const noexcept { return data_.size() - pos_; }
    bool complete() const noexcept { return eof_; }
    bool at_eof() const noexcept { return eof_ && buffered() == 0; }

    Task<std::string> read(long n);

  private:
    Task<> wait_for_data();
    std::string take(std::size_t n);
    std::string data_;
    std::size_t pos_ = 0;
    bool eof_ = false;
    std::exception_ptr error_;
    aio::detail::OneWaiter waiter_;
};

}  // namespace aio::http::detail
